package org.olmo4j.control;

import org.olmo4j.coordinator.ControlReply;
import org.olmo4j.coordinator.RunEvents;
import org.olmo4j.coordinator.RunStatus;
import org.olmo4j.proto.control.Ack;
import org.olmo4j.proto.control.CheckpointInfo;
import org.olmo4j.proto.control.Notice;
import org.olmo4j.proto.control.RunEvent;
import org.olmo4j.proto.control.Status;
import org.olmo4j.proto.control.StepMetrics;
import org.olmo4j.proto.control.WorkerStatus;

/** The run's records as the control protocol's messages (protobuf stays at this edge). */
final class ProtoRun {

  private ProtoRun() {}

  static Status status(RunStatus s) {
    Status.Builder b = Status.newBuilder().setState(s.state()).setStep(s.step())
        .setMaxSteps(s.maxSteps()).setTokens(s.tokens()).setLoss(s.loss())
        .setTokensPerSecond(s.tokensPerSecond()).setMfu(s.mfu()).setEtaSeconds(s.etaSeconds())
        .setGeneration(s.generation()).setLastCheckpoint(s.lastCheckpoint())
        .setLastCheckpointStep(s.lastCheckpointStep()).setCoordinatorNode(s.coordinatorNode())
        .setSlowestRank(s.slowest().rank()).setSlowestNode(s.slowest().node())
        .setSlowestRatio(s.slowest().ratio()).setWindowSteps(s.slowest().steps())
        .setCheckpointFailures(s.checkpointFailure().count())
        .setCheckpointFailedStep(s.checkpointFailure().step())
        .setCheckpointFailedError(s.checkpointFailure().error());
    for (RunStatus.Worker w : s.workers()) {
      b.addWorkers(WorkerStatus.newBuilder().setRank(w.rank()).setNode(w.node())
          .setLocalIndex(w.localIndex()).setState(w.state()).setStepSeconds(w.stepSeconds())
          .setComputeSeconds(w.computeSeconds()).setWaitSeconds(w.waitSeconds()));
    }
    return b.build();
  }

  static RunEvent event(RunEvents.Event e) {
    if (e instanceof RunEvents.Step s) {
      org.olmo4j.train.StepMetrics m = s.metrics();
      return RunEvent.newBuilder().setStep(StepMetrics.newBuilder().setStep(m.step())
          .setLoss(m.loss()).setLr(m.lr()).setGradNorm(m.gradNorm()).setTokens(m.tokens())
          .setTokensPerSecond(m.tokensPerS()).setMfu(m.mfu()).setStepSeconds(m.stepSeconds())
          .setComputeSeconds(m.computeSeconds()).setExchangeSeconds(m.exchangeSeconds())
          .setOptimizerSeconds(m.optimizerSeconds())).build();
    }
    RunEvents.Notice n = (RunEvents.Notice) e;
    return RunEvent.newBuilder().setNotice(Notice.newBuilder().setKind(n.kind()).setStep(n.step())
        .setMessage(n.message()).putAllValues(n.values())).build();
  }

  static Ack ack(ControlReply r) {
    return Ack.newBuilder().setMessage(r.message()).build();
  }

  static CheckpointInfo checkpoint(ControlReply r) {
    CheckpointInfo.Builder b = CheckpointInfo.newBuilder().setStep(r.step());
    if (r.path() != null) {
      b.setPath(r.path());
    }
    return b.build();
  }
}
