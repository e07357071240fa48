package org.olmo4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigValidatorTest {

  private static final TrainConfig VALID = ConfigLoader.fromYaml("", List.of());

  /** The problem reported for the defaults with one override. */
  private static String problem(String override) {
    ConfigException e = assertThrows(ConfigException.class,
        () -> ConfigLoader.fromYaml("", List.of(override)));
    return e.getMessage();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "--model.d_model=0                  | model.d_model must be positive, got 0",
      "--model.n_heads=-1                 | model.n_heads must be positive, got -1",
      "--model.n_layers=0                 | model.n_layers must be positive",
      "--model.vocab_size=0               | model.vocab_size must be positive",
      "--model.max_sequence_length=0      | model.max_sequence_length must be positive",
      "--model.n_heads=5                  | model.d_model (768) must be divisible by model.n_heads (5)",
      "--model={d_model: 12, n_heads: 4}  | head dimension model.d_model / model.n_heads = 3 must be even",
      "--model.embedding_size=50000       | model.embedding_size (50000) must be >= model.vocab_size (50280)",
      "--model.eos_token_id=50280         | model.eos_token_id (50280) must be in [0, model.vocab_size)",
      "--model.pad_token_id=-1            | model.pad_token_id (-1) must be in [0, model.vocab_size)",
      "--model.mlp_hidden_size=3001       | model.mlp_hidden_size must be a positive even number",
      "--model.rope_theta=0               | model.rope_theta must be positive",
      "--model.init_std=0                 | model.init_std must be positive",
      "--model.n_kv_heads=5               | model.n_kv_heads (5) must be a positive divisor of model.n_heads (12)",
      "--model.layer_norm_eps=0           | model.layer_norm_eps must be positive",
      "--model.sliding_window={pattern: []} | model.sliding_window.pattern must be a non-empty list",
      "--model.sliding_window={pattern: [0, -1]} | model.sliding_window.pattern must be a non-empty list",
      "--model.include_bias=true          | model.include_bias=true is not supported",
      "--global_train_batch_size=20       | global_train_batch_size (20) must be divisible by "
          + "device_train_microbatch_size (16)",
      "--device_train_microbatch_size=0   | device_train_microbatch_size must be positive",
      "--optimizer.betas=[0.9]            | optimizer.betas must be exactly 2 values in [0, 1), got [0.9]",
      "--optimizer.betas=[0.9, 1.0]       | optimizer.betas must be exactly 2 values in [0, 1)",
      "--optimizer.betas=[0.9, 0.95, 0.1] | optimizer.betas must be exactly 2 values",
      "--optimizer.eps=0                  | optimizer.eps must be positive",
      "--optimizer.learning_rate=0        | optimizer.learning_rate must be positive",
      "--optimizer.weight_decay=-0.1      | optimizer.weight_decay must be >= 0",
      "--scheduler.alpha_f=1.5            | scheduler.alpha_f must be in [0, 1], got 1.5",
      "--scheduler.t_warmup=-1            | scheduler.t_warmup must be >= 0",
      "--save_interval=0                  | save_interval must be positive, got 0",
      "--save_num_checkpoints_to_keep=-2  | save_num_checkpoints_to_keep must be >= 1, or 0 or -1 to keep all",
      "--max_grad_norm=0                  | max_grad_norm must be positive or null",
      "--run_name=''                      | run_name must be a non-empty string",
      "--precision=null                   | precision must be set",
      "--cluster.port=70000               | cluster.port must be in [0, 65535] (0: any free port), got 70000",
      "--cluster.seed_nodes=[node1]       | cluster.seed_nodes[0] must be HOST:PORT with a port in [0, 65535], "
          + "e.g. node001:25520, got 'node1'",
      "--cluster.seed_nodes=[a:1, b:x]    | cluster.seed_nodes[1] must be HOST:PORT",
      "--cluster.seed_nodes=[':25520']    | cluster.seed_nodes[0] must be HOST:PORT",
      "--cluster.seed_nodes=null          | cluster.seed_nodes must be set",
      "--cluster.straggler.drain_ratio=0.5 | cluster.straggler.drain_ratio must be > 1 (a rank's compute "
          + "time over the median of the others'), or null to never drain, got 0.5",
      "--cluster.straggler.drain_ratio=1  | cluster.straggler.drain_ratio must be > 1",
      "--cluster.straggler.steps=0        | cluster.straggler.steps must be positive, got 0",
      "--cluster.stuck_factor=1           | cluster.stuck_factor must be > 1 (times the median step "
          + "time), or null to leave stuck ranks to the exchange timeout, got 1.0",
      "--cluster.stuck_floor_seconds=0    | cluster.stuck_floor_seconds must be > 0 and below "
          + "cluster.exchange_timeout_seconds (120), got 0.0",
      "--cluster.stuck_floor_seconds=200  | cluster.stuck_floor_seconds must be > 0 and below",
      "--cluster.data_plane.port=-1       | cluster.data_plane.port must be 0 (any free ports) or a first "
          + "port with room for 2 ports (2 per worker) below 65536, got -1",
      "--cluster.data_plane.port=65535    | cluster.data_plane.port must be 0 (any free ports)",
      "--cluster.data_plane.advertised_port=30000 | cluster.data_plane.advertised_port (30000) maps the "
          + "bound ports one to one: set cluster.data_plane.port too",
      "--cluster.data_plane.advertised_port=0 | cluster.data_plane.advertised_port must be a first port",
      "--cluster.data_plane.advertised_host='' | cluster.data_plane.advertised_host must be a host name",
  })
  void rejects(String override, String expected) {
    String message = problem(override);
    assertTrue(message.contains(expected), "expected '" + expected + "' in: " + message);
    assertTrue(message.startsWith("<yaml text> with " + override + ": "), message);
  }

  @Test
  void keepAllCheckpointsIsMinusOne() {
    assertEquals(-1, ConfigLoader.fromYaml("save_num_checkpoints_to_keep: -1", List.of())
        .saveNumCheckpointsToKeep());
  }

  @Test
  void theStragglerDrainIsOffByDefault() {
    assertEquals(new StragglerConfig(null, 10), VALID.cluster().straggler());
    assertEquals(new StragglerConfig(2.5, 4), ConfigLoader.fromYaml(
        "cluster: {straggler: {drain_ratio: 2.5, steps: 4}}", List.of()).cluster().straggler());
  }

  @Test
  void theStuckRankWatchdogIsOnByDefaultAndCanBeTurnedOff() {
    assertEquals(2.0, VALID.cluster().stuckFactor());
    assertEquals(5.0, VALID.cluster().stuckFloorSeconds());
    assertEquals(null, ConfigLoader.fromYaml("cluster: {stuck_factor: null}", List.of())
        .cluster().stuckFactor());
  }

  @Test
  void theDataPlaneBindsAnyFreePortsAndAdvertisesThemByDefault() {
    assertEquals(new DataPlaneConfig(0, null, null, true), VALID.cluster().dataPlane());
    assertEquals(new DataPlaneConfig(20000, "gw.example", 30000, true), ConfigLoader.fromYaml(
        "cluster: {workers_per_node: 4, data_plane: {port: 20000, advertised_host: gw.example, "
            + "advertised_port: 30000}}", List.of()).cluster().dataPlane());
    assertEquals(new DataPlaneConfig(0, null, null, false), ConfigLoader.fromYaml(
        "cluster: {data_plane: {unix_sockets: false}}", List.of()).cluster().dataPlane());
  }

  @Test
  void reportsEveryProblemAtOnce() {
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.fromYaml(
        "model: {n_layers: 0}\noptimizer: {eps: 0}\nsave_interval: 0\n", List.of()));
    assertEquals(3, e.getMessage().lines().count(), e.getMessage());
  }

  @Test
  void validateChecksRecordsBuiltInCode() {
    ConfigLoader.validate(VALID);
    ModelConfig m = VALID.model();
    ModelConfig biased = new ModelConfig(m.dModel(), m.nHeads(), m.nLayers(), m.mlpRatio(),
        m.mlpHiddenSize(), m.vocabSize(), m.embeddingSize(), m.maxSequenceLength(), m.ropeTheta(),
        m.weightTying(), m.initFn(), m.initStd(), m.initCutoffFactor(), m.layerNormType(),
        m.layerNormWithAffine(), true, m.clipQkv(), m.eosTokenId(), m.padTokenId());
    TrainConfig c = VALID;
    TrainConfig bad = new TrainConfig(c.runName(), c.seed(), new Duration(0, Duration.Unit.STEPS),
        c.globalTrainBatchSize(), c.deviceTrainMicrobatchSize(), c.maxGradNorm(),
        c.softmaxAuxiliaryLoss(), c.auxiliaryLossMultiplier(), c.precision(), c.saveFolder(),
        c.saveInterval(), c.saveNumCheckpointsToKeep(), c.loadPath(), c.tryLoadLatestSave(),
        c.resetTrainerState(), c.consoleLogInterval(), biased, c.optimizer(), c.scheduler(), null, c.cluster(), null,
        c.control(), c.evalInterval(), c.deviceEvalBatchSize(), c.evalSubsetNumBatches(),
        c.evaluators(), c.evalSkipMissing(), c.fsdp(), c.activationCheckpointing());
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.validate(bad));
    assertTrue(e.getMessage().contains("max_duration must be positive"), e.getMessage());
    assertTrue(e.getMessage().contains("model.include_bias=true"), e.getMessage());
    assertTrue(e.getMessage().contains("data must be set"), e.getMessage());
  }
}
