package org.olmo4j.train;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The console progress line: step, loss, throughput, MFU, ETA (every console_log_interval steps). */
public final class ConsoleProgress {

  private static final Logger log = LoggerFactory.getLogger("olmo4j.progress");

  private final String runName;
  private final long lastStep;
  private final int interval;

  public ConsoleProgress(String runName, long lastStep, int interval) {
    this.runName = runName;
    this.lastStep = lastStep;
    this.interval = Math.max(1, interval);
  }

  public void report(StepMetrics m, SpeedMonitor speed) {
    if (m.step() % interval != 0 && m.step() != lastStep) {
      return;
    }
    log.info(String.format(
        "[%s] step %d/%d | loss %.4f | lr %.3e | grad_norm %.3f | %.0f tok/s | mfu %.2f | %.2fs/step | ETA %s",
        runName, m.step(), lastStep, m.loss(), m.lr(), m.gradNorm(), m.tokensPerS(), m.mfu(),
        m.stepSeconds(), SpeedMonitor.formatDuration(speed.etaSeconds(lastStep - m.step())))
        + (m.maskedInstances() > 0 ? " | masked instances " + m.maskedInstances() : ""));
  }
}
