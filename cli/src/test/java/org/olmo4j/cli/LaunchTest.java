package org.olmo4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.olmo4j.bootstrap.VisibleDevices;
import org.olmo4j.node.ClusterRuns;

/** {@code olmo4j launch} in a child JVM with a torchrun-style environment, as a job would run it. */
class LaunchTest {

  @TempDir Path tmp;

  @Test
  void aSingleTorchrunNodeStartsTheClusterAndTrainsToTheEnd() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path config = tinyConfig();
    Path log = tmp.resolve("launch.log");
    Process p = launch(config, log, Map.of("MASTER_ADDR", "127.0.0.1",
        "MASTER_PORT", Integer.toString(port), "WORLD_SIZE", "1", "RANK", "0", "LOCAL_RANK", "0"));
    boolean done = p.waitFor(150, TimeUnit.SECONDS);
    if (!done) {
      p.destroyForcibly();
    }
    String out = Files.readString(log);
    assertTrue(done, "launch did not finish in time:\n" + out);
    assertEquals(0, p.exitValue(), out);
    assertTrue(out.contains("starts the cluster at 127.0.0.1:" + port), out);
    assertTrue(out.contains("workers: 1 (cluster.workers_per_node of the config)"), out);
    Path run = tmp.resolve("run");
    assertEquals(4, Files.readAllLines(run.resolve("metrics.jsonl")).size());
    assertEquals("step4", Files.readString(run.resolve("latest")).trim());
  }

  /** Two Slurm tasks on two loopback addresses (127.0.0.1 and 127.0.0.2), same port, as on two nodes. */
  @Test
  void twoSlurmTasksFormOneClusterAtTheFirstHost() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path config = tinyConfig();
    Process[] tasks = new Process[2];
    for (int r = 0; r < 2; r++) {
      tasks[r] = launch(config, tmp.resolve("task" + r + ".log"), Map.of("SLURM_JOB_ID", "42",
          "SLURM_JOB_NODELIST", "127.0.0.[1-2]", "SLURM_NNODES", "2", "SLURM_NTASKS", "2",
          "SLURM_PROCID", Integer.toString(r), "SLURM_LOCALID", "0", "SLURM_NODEID",
          Integer.toString(r), "SLURMD_NODENAME", "127.0.0." + (r + 1), "SLURM_GPUS_ON_NODE", "1"),
          "--port=" + port, "--cluster.min_workers=2");
    }
    for (int r = 0; r < 2; r++) {
      boolean done = tasks[r].waitFor(150, TimeUnit.SECONDS);
      if (!done) {
        tasks[0].destroyForcibly();
        tasks[1].destroyForcibly();
      }
      String out = Files.readString(tmp.resolve("task" + r + ".log"));
      assertTrue(done, "task " + r + " did not finish in time:\n" + out);
      assertEquals(0, tasks[r].exitValue(), out);
      assertTrue(out.contains("workers: 1 (SLURM_GPUS_ON_NODE=1)"), out);
      assertTrue(out.contains(r == 0 ? "starts the cluster at 127.0.0.1:" + port
          : "joins 127.0.0.1:" + port + " as 127.0.0.2:" + port), out);
    }
    assertTrue(Files.readString(tmp.resolve("task0.log"))
        .contains("world of generation 1 formed: 2 workers"));
    assertEquals(4, Files.readAllLines(tmp.resolve("run").resolve("metrics.jsonl")).size());
  }

  @Test
  void aBadEnvironmentIsOneLineNamingTheVariable() throws Exception {
    Path log = tmp.resolve("bad.log");
    Process p = launch(tinyConfig(), log, Map.of("MASTER_ADDR", "127.0.0.1",
        "MASTER_PORT", "99999", "WORLD_SIZE", "1", "RANK", "0"));
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "launch did not exit");
    String out = Files.readString(log);
    assertEquals(2, p.exitValue(), out);
    assertTrue(out.contains("error: MASTER_PORT=99999 is out of range (expected an integer in "
        + "[1, 65535])"), out);
  }

  private Path tinyConfig() throws IOException {
    Path data = ClusterRuns.writeTokens(tmp);
    Path config = tmp.resolve("tiny.yaml");
    Files.writeString(config, String.join("\n",
        "run_name: launch-test",
        "max_duration: 4",
        "global_train_batch_size: 4",
        "device_train_microbatch_size: 2",
        "precision: fp32",
        "save_folder: " + tmp.resolve("run"),
        "save_interval: 2",
        "model: {d_model: 32, n_heads: 2, n_layers: 2, mlp_ratio: 4, vocab_size: 64,",
        "  embedding_size: 64, max_sequence_length: 16, eos_token_id: 63, pad_token_id: 62,",
        "  init_fn: mitchell}",
        "optimizer: {learning_rate: 0.01}",
        "scheduler: {name: constant}",
        "data: {paths: [" + data + "]}",
        "cluster: {workers_per_node: 1}",
        ""));
    return config;
  }

  /** {@code olmo4j launch CONFIG} in a child JVM whose environment is this one's plus {@code vars}. */
  private static Process launch(Path config, Path log, Map<String, String> vars, String... args)
      throws IOException {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "-Xmx1g", "-Dai.djl.offline=true",
        "-Dai.djl.pytorch.num_threads=1", "-Dai.djl.pytorch.num_interop_threads=1",
        // The seed's singleton hand-over to a peer that already left waits out this phase (10 s).
        "-Dpekko.coordinated-shutdown.phases.cluster-exiting.timeout=2s",
        "org.olmo4j.cli.Main", "launch", config.toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    Map<String, String> env = pb.environment();
    // Whatever job this test itself runs in must not decide the child's role or workers.
    env.keySet().removeIf(k -> k.startsWith("SLURM_") || k.equals("SLURMD_NODENAME")
        || VisibleDevices.VARIABLES.contains(k) || List.of("MASTER_ADDR", "MASTER_PORT",
            "WORLD_SIZE", "RANK", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "NODE_RANK",
            "TORCHELASTIC_RUN_ID").contains(k));
    env.putAll(vars);
    return pb.redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }
}
