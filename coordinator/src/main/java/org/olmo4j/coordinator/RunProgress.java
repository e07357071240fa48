package org.olmo4j.coordinator;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.model.Architecture;
import org.olmo4j.train.ConsoleProgress;
import org.olmo4j.train.MetricsLog;
import org.olmo4j.train.ShardGroups;
import org.olmo4j.train.SpeedMonitor;
import org.olmo4j.train.StepMetrics;
import org.olmo4j.train.TrainCheckpoints;
import org.olmo4j.train.TrainState;
import org.olmo4j.worker.WorkerEvent;

/**
 * The coordinator's view of one world's progress: joins the ranks' reports of each step into one
 * metrics line, and says when every rank's shard of a step is durable so it can be committed.
 */
final class RunProgress implements AutoCloseable {

  private final TrainConfig cfg;
  private final int worldSize;
  /** Shard files of a checkpoint: every rank's, or under HYBRID_SHARD one shard group's. */
  private final int shardFiles;
  private final TrainState start;
  private final MetricsLog metrics;
  private final SpeedMonitor speed;
  private final ConsoleProgress console;
  private final Map<Long, Map<Integer, WorkerEvent.StepDone>> steps = new HashMap<>();
  private final Map<Long, Set<Integer>> shards = new HashMap<>();
  private final Map<Long, ShardTimes> shardTimes = new HashMap<>();
  private final Map<Integer, WorkerEvent.Ready> ready = new java.util.TreeMap<>();
  private final Set<Integer> stopped = new HashSet<>();

  /** The slowest rank's shard write and training stall of one checkpoint. */
  record ShardTimes(double write, double stall) {
    ShardTimes max(double w, double s) {
      return new ShardTimes(Math.max(write, w), Math.max(stall, s));
    }
  }
  private final RunEvents events;
  private final RankTimes rankTimes;
  private final long maxSteps;
  private StepMetrics last;
  private long lastStepNanos = System.nanoTime();
  private long lastStep;

  /**
   * @param peakFlops the reference FLOP/s of the whole world, for MFU
   * @param drainRatio for {@link RankTimes#streak}
   */
  RunProgress(TrainConfig cfg, ShardGroups groups, TrainState start, long maxSteps,
      double peakFlops, double drainRatio, RunEvents events) {
    int worldSize = groups.worldSize();
    this.events = events;
    this.rankTimes = new RankTimes(worldSize, drainRatio);
    this.maxSteps = maxSteps;
    this.cfg = cfg;
    this.worldSize = worldSize;
    this.shardFiles = groups.groupSize();
    this.start = start;
    this.lastStep = start.step();
    this.metrics = MetricsLog.open(Path.of(cfg.saveFolder()).resolve("metrics.jsonl"), start.step());
    this.speed = new SpeedMonitor(20,
        Architecture.of(cfg.model()).flopsPerToken(cfg.model().maxSequenceLength()), peakFlops);
    this.console = new ConsoleProgress(cfg.runName(), maxSteps, cfg.consoleLogInterval());
  }

  /** The train state after {@code step} of this world. */
  TrainState stateAt(long step) {
    long done = step - start.step();
    return new TrainState(step, start.tokensSeen() + done * cfg.tokensPerStep(),
        start.dataPosition() + done * cfg.globalTrainBatchSize());
  }

  long lastStep() {
    return lastStep;
  }

  /**
   * Records a rank's step; when all ranks have it, writes the step's metrics line and records
   * the ranks' times, and returns true.
   */
  boolean stepDone(WorkerEvent.StepDone d) {
    Map<Integer, WorkerEvent.StepDone> ranks = steps.computeIfAbsent(d.step(), s -> new HashMap<>());
    ranks.put(d.rank(), d);
    if (ranks.size() < worldSize) {
      return false;
    }
    steps.remove(d.step());
    double compute = 0;
    double exchange = 0;
    double optimizer = 0;
    double collective = 0;
    long rss = 0;
    double[] rankSteps = new double[worldSize];
    double[] rankWaits = new double[worldSize];
    // The slowest rank computes longest; a faster one's wait for it is imbalance, not transfer.
    WorkerEvent.StepDone slowest = null;
    for (WorkerEvent.StepDone r : ranks.values()) {
      if (slowest == null || r.computeSeconds() > slowest.computeSeconds()) {
        slowest = r;
      }
      compute = Math.max(compute, r.computeSeconds());
      exchange = Math.max(exchange, r.exchangeSeconds());
      optimizer = Math.max(optimizer, r.optimizerSeconds());
      collective = Math.max(collective, r.collectiveSeconds());
      rss = Math.max(rss, r.rssBytes());
      rankSteps[r.rank()] = r.stepSeconds();
      rankWaits[r.rank()] = r.exchangeSeconds();
    }
    rankTimes.step(rankSteps, rankWaits);
    long now = System.nanoTime();
    double seconds = (now - lastStepNanos) / 1e9;
    lastStepNanos = now;
    speed.record(d.tokens(), seconds);
    WorkerEvent.StepDone r0 = ranks.get(0);
    StepMetrics m = new StepMetrics(d.step(), r0.loss(), r0.zLoss(), r0.lr(), r0.gradNorm(),
        r0.clipCoefficient(), stateAt(d.step()).tokensSeen(), speed.tokensPerSecond(), speed.mfu(),
        seconds, compute, exchange, optimizer, rss, r0.maskedInstances(), collective,
        slowest.exchangeSeconds(), slowest.collectiveSeconds());
    metrics.write(m);
    events.step(m);
    last = m;
    console.report(m, speed);
    lastStep = Math.max(lastStep, d.step());
    return true;
  }

  /** Each rank's recent step, compute and wait times in this world. */
  RankTimes rankTimes() {
    return rankTimes;
  }

  /** Records that a rank has loaded its shard; true when every rank of the world has. */
  boolean rankReady(WorkerEvent.Ready r) {
    ready.put(r.rank(), r);
    return ready.size() == worldSize;
  }

  /** {@code world.json}: the ranks of this world, their nodes, endpoints and state bytes. */
  void writeWorldFile(World world, Recovery recovery) {
    WorldFile.write(Path.of(cfg.saveFolder()), world.generation(), world.start().step(),
        world.ranks(), ready, recovery);
  }

  /** Records that a rank's loop completed; true when every rank's has. */
  boolean rankStopped(int rank) {
    stopped.add(rank);
    return stopped.size() == worldSize;
  }

  /** The newest step's metrics, or null before the first step of this world. */
  StepMetrics last() {
    return last;
  }

  /** Seconds until max steps at the current speed (NaN before any step). */
  double etaSeconds() {
    return speed.etaSeconds(maxSteps - lastStep);
  }

  /** Writes one eval round's metrics to metrics.jsonl (its own line at the round's step). */
  void evalPublished(org.olmo4j.evaluator.Evaluator.Published p) {
    metrics.writeEval(p.step(), p.metrics(), java.util.Map.of("eval_tokens", (double) p.tokens(),
        "eval_seconds", p.seconds(), "eval_tokens_per_s", p.tokensPerSecond()));
    events.notice("eval", p.step(), "eval round of step " + p.step(), p.metrics());
  }

  /**
   * Records a rank's durable shard; true when the step has all its shards (under HYBRID_SHARD
   * those of replica 0's shard group: the other replicas hold the same pieces and write none).
   */
  boolean shardSaved(WorkerEvent.ShardSaved s) {
    Set<Integer> ranks = shards.computeIfAbsent(s.step(), k -> new HashSet<>());
    ranks.add(s.rank());
    shardTimes.merge(s.step(), new ShardTimes(s.writeSeconds(), s.stallSeconds()),
        (a, b) -> a.max(b.write(), b.stall()));
    if (ranks.size() < shardFiles) {
      return false;
    }
    shards.remove(s.step());
    return true;
  }

  /** Write and stall times of a completed checkpoint (forgotten after this call). */
  ShardTimes shardTimes(long step) {
    ShardTimes t = shardTimes.remove(step);
    return t == null ? new ShardTimes(0, 0) : t;
  }

  @Override
  public void close() {
    metrics.close();
  }

  /** Commits step {@code step} of this world. */
  Path commit(TrainCheckpoints checkpoints, long step, long generation) {
    return checkpoints.commit(stateAt(step), generation, shardFiles);
  }
}
