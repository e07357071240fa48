package org.olmo4j.bootstrap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Roles, addresses and worker counts derived from real Slurm and torchrun-style environments. */
class BootstrapTest {

  /** {@code "A=1 B=x"} → env map; {@code B=} is the empty string. */
  static Map<String, String> env(String vars) {
    Map<String, String> env = new HashMap<>();
    for (String kv : vars.trim().split("\\s+")) {
      if (!kv.isEmpty()) {
        int eq = kv.indexOf('=');
        env.put(kv.substring(0, eq), kv.substring(eq + 1));
      }
    }
    return env;
  }

  static Bootstrap.Plan plan(String vars) {
    return Bootstrap.plan(env(vars),
        new Bootstrap.Request(null, null, null, List.of(), 25520, "this-host"));
  }

  /** LUMI-G: sbatch --nodes=4 --ntasks-per-node=1 --gpus-per-node=8, srun on the second node. */
  static final String LUMI = "SLURM_JOB_ID=7421337 SLURM_JOB_NODELIST=nid[005001-005004] "
      + "SLURM_NNODES=4 SLURM_NTASKS=4 SLURM_LOCALID=0 SLURM_GPUS_ON_NODE=8 "
      + "ROCR_VISIBLE_DEVICES=0,1,2,3,4,5,6,7 SLURMD_NODENAME=nid005002 SLURM_NODEID=1 ";

  @Test
  void lumiNodesJoinTheFirstNodeOfTheJob() {
    Bootstrap.Plan seed = plan(LUMI.replace("nid005002", "nid005001").replace("NODEID=1", "NODEID=0")
        + "SLURM_PROCID=0");
    assertTrue(seed.startsCluster());
    assertEquals("nid005001", seed.host());
    assertEquals(25520, seed.port());
    assertEquals(List.of(), seed.seedNodes());

    Bootstrap.Plan other = plan(LUMI + "SLURM_PROCID=1");
    assertFalse(other.startsCluster());
    assertEquals("nid005002", other.host());
    assertEquals(25520, other.port());
    assertEquals(List.of("nid005001:25520"), other.seedNodes());
    assertTrue(other.describe().contains("joins nid005001:25520 as nid005002:25520"), other.describe());
    assertEquals(new WorkersPerNode(8, "one per device in ROCR_VISIBLE_DEVICES='0,1,2,3,4,5,6,7'"),
        WorkersPerNode.decide(env(LUMI), null, 1));
  }

  @Test
  void slurmWithoutNodeNameUsesTheTaskRankAsNodeIndex() {
    Bootstrap.Plan p = plan("SLURM_JOB_NODELIST=gpu[01-03] SLURM_NTASKS=3 SLURM_PROCID=2");
    assertEquals("gpu03", p.host());
    assertEquals(List.of("gpu01:25520"), p.seedNodes());
    assertEquals(new WorkersPerNode(4, "SLURM_GPUS_ON_NODE=4"),
        WorkersPerNode.decide(env("SLURM_GPUS_ON_NODE=4"), null, 2));
  }

  @Test
  void precedenceIsCommandLineThenConfigThenSlurmThenTorchrun() {
    Map<String, String> both = env(LUMI + "SLURM_PROCID=1 MASTER_ADDR=10.0.0.9 MASTER_PORT=29500 WORLD_SIZE=2 RANK=1");
    Bootstrap.Plan cli = Bootstrap.plan(both, new Bootstrap.Request(List.of("h0:1234"), null, 1234,
        List.of("cfg:1"), 25520, "x"));
    assertEquals(List.of("h0:1234"), cli.seedNodes());
    assertEquals("nid005002", cli.host(), "host from Slurm when --host is absent");
    Bootstrap.Plan cfg = Bootstrap.plan(both, new Bootstrap.Request(null, null, null,
        List.of("cfg:1"), 25520, "x"));
    assertEquals(List.of("cfg:1"), cfg.seedNodes());
    assertEquals(List.of("nid005001:25520"), Bootstrap.plan(both,
        new Bootstrap.Request(null, null, null, List.of(), 25520, "x")).seedNodes());
    both.remove("SLURM_JOB_NODELIST");
    assertEquals(List.of("10.0.0.9:29500"), Bootstrap.plan(both,
        new Bootstrap.Request(null, null, null, List.of(), 25520, "x")).seedNodes());
  }

  @Test
  void theFirstExplicitSeedStartsTheCluster() {
    Bootstrap.Request first = new Bootstrap.Request(List.of("127.0.0.1:4001", "127.0.0.1:4002"),
        null, 4001, List.of(), 25520, "this-host");
    assertTrue(Bootstrap.plan(Map.of(), first).startsCluster());
    Bootstrap.Request second = new Bootstrap.Request(first.seedNodes(), null, 4002, List.of(),
        25520, "this-host");
    Bootstrap.Plan p = Bootstrap.plan(Map.of(), second);
    assertFalse(p.startsCluster());
    assertEquals("127.0.0.1", p.host(), "seeds on loopback: this node is on loopback too");
  }

  @Test
  void aMalformedSeedOnTheCommandLineNamesTheOption() {
    BootstrapException e = assertThrows(BootstrapException.class, () -> Bootstrap.plan(Map.of(),
        new Bootstrap.Request(List.of("a:1", "node2"), null, null, List.of(), 25520, "x")));
    assertEquals("--seed-nodes: 'node2' is not HOST:PORT with a port in [0, 65535], "
        + "e.g. node001:25520", e.getMessage());
  }

  /** MosaicML-like platform: one process per 8-GPU node, WORLD_SIZE counts GPUs. */
  @Test
  void mosaicNodeRankDecidesWhoStarts() {
    String node = "MASTER_ADDR=10.0.0.1 MASTER_PORT=29500 WORLD_SIZE=16 LOCAL_WORLD_SIZE=8 "
        + "CUDA_VISIBLE_DEVICES=0,1,2,3,4,5,6,7 NODE_RANK=";
    Bootstrap.Plan seed = plan(node + "0");
    assertTrue(seed.startsCluster());
    assertEquals("10.0.0.1", seed.host());
    assertEquals(29500, seed.port(), "MASTER_PORT itself: torchrun's rendezvous is not used");
    Bootstrap.Plan joiner = plan(node + "1");
    assertFalse(joiner.startsCluster());
    assertEquals(List.of("10.0.0.1:29500"), joiner.seedNodes());
    assertEquals("this-host", joiner.host());
    assertEquals(0, joiner.port(), "a joiner takes any free port");
    assertEquals(8, WorkersPerNode.decide(env(node + "1"), null, null).count());
  }

  @Test
  void underTorchrunTheClusterUsesMasterPortPlusOne() {
    Bootstrap.Plan p = plan("MASTER_ADDR=node0 MASTER_PORT=29500 WORLD_SIZE=2 RANK=0 LOCAL_RANK=0 "
        + "LOCAL_WORLD_SIZE=1 TORCHELASTIC_RUN_ID=abc");
    assertEquals(29501, p.port());
    assertEquals(List.of("node0:29501"), plan("MASTER_ADDR=node0 MASTER_PORT=29500 WORLD_SIZE=2 "
        + "RANK=1 LOCAL_RANK=0 LOCAL_WORLD_SIZE=1 TORCHELASTIC_RUN_ID=abc").seedNodes());
  }

  @Test
  void noEnvironmentIsAOneNodeCluster() {
    Bootstrap.Plan p = plan("");
    assertTrue(p.startsCluster());
    assertEquals("127.0.0.1:25520", p.host() + ":" + p.port());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "CUDA_VISIBLE_DEVICES=0,1,2,3                    | 4 | CUDA_VISIBLE_DEVICES",
      "CUDA_VISIBLE_DEVICES=                           | 0 | CUDA_VISIBLE_DEVICES",
      "CUDA_VISIBLE_DEVICES=GPU-8f3b2a10-1c2d,GPU-77aa | 2 | CUDA_VISIBLE_DEVICES",
      "ROCR_VISIBLE_DEVICES=0,1,2,3,4,5,6,7            | 8 | ROCR_VISIBLE_DEVICES",
      "HIP_VISIBLE_DEVICES=2 ROCR_VISIBLE_DEVICES=0,1,2,3 | 1 | HIP_VISIBLE_DEVICES",
      "CUDA_VISIBLE_DEVICES=7 SLURM_GPUS_ON_NODE=8     | 1 | CUDA_VISIBLE_DEVICES",
  })
  void visibleDevicesCount(String vars, int count, String variable) {
    assertEquals(new VisibleDevices(variable, count), VisibleDevices.read(env(vars)).orElseThrow());
  }

  @Test
  void anExplicitCommandLineCountWinsAndTheConfigIsTheLastResort() {
    Map<String, String> e = env("CUDA_VISIBLE_DEVICES=0,1");
    assertEquals(3, WorkersPerNode.decide(e, 3, 5).count());
    assertEquals(2, WorkersPerNode.decide(e, null, 5).count());
    assertEquals(5, WorkersPerNode.decide(Map.of(), null, 5).count());
    assertEquals(null, WorkersPerNode.decide(Map.of(), null, null).count());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "SLURM_JOB_NODELIST=nid[001-        | SLURM_JOB_NODELIST='nid[001-' is not a Slurm hostlist: "
          + "'[' is never closed",
      "SLURM_JOB_NODELIST=n[1-2] SLURM_PROCID=abc | SLURM_PROCID='abc' is not an integer (expected an "
          + "integer in [0, 1])",
      "SLURM_JOB_NODELIST=n[1-2] SLURM_PROCID=2   | SLURM_PROCID=2 is out of range (expected an integer "
          + "in [0, 1])",
      "SLURM_JOB_NODELIST=n[1-2] SLURM_NNODES=3   | SLURM_NNODES=3 but SLURM_JOB_NODELIST='n[1-2]' "
          + "names 2 host(s)",
      "SLURM_JOB_NODELIST=n[1-2] SLURM_NTASKS=16 SLURM_NNODES=2 | SLURM_NTASKS=16 on SLURM_NNODES=2: "
          + "launch runs one task per node",
      "SLURM_JOB_NODELIST=n1 SLURM_GPUS_ON_NODE=x | SLURM_GPUS_ON_NODE='x' is not an integer",
      "MASTER_ADDR=10.0.0.1 MASTER_PORT=70000     | MASTER_PORT=70000 is out of range (expected an "
          + "integer in [1, 65535])",
      "MASTER_ADDR=10.0.0.1 MASTER_PORT=http      | MASTER_PORT='http' is not an integer",
      "MASTER_ADDR=10.0.0.1                       | MASTER_PORT is not set but MASTER_ADDR=10.0.0.1 is",
      "MASTER_PORT=29500                          | MASTER_ADDR is not set but MASTER_PORT=29500 is",
      "MASTER_ADDR=a MASTER_PORT=1 WORLD_SIZE=2 RANK=2 | RANK=2 is out of range (expected an integer "
          + "in [0, 1])",
      "MASTER_ADDR=a MASTER_PORT=1 WORLD_SIZE=2   | WORLD_SIZE=2 but neither RANK nor NODE_RANK is set",
      "MASTER_ADDR=a MASTER_PORT=1 WORLD_SIZE=16 RANK=9 LOCAL_RANK=1 LOCAL_WORLD_SIZE=8 "
          + "| LOCAL_WORLD_SIZE=8 with LOCAL_RANK=1: several olmo4j processes per node",
      "MASTER_ADDR=a MASTER_PORT=65535 TORCHELASTIC_RUN_ID=x | MASTER_PORT=65535 under torchrun",
  })
  void badEnvironmentNamesTheVariableAndValue(String vars, String message) {
    BootstrapException e = assertThrows(BootstrapException.class, () -> plan(vars));
    assertEquals(message, e.getMessage().substring(0, Math.min(message.length(), e.getMessage().length())));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "CUDA_VISIBLE_DEVICES=0,,1  | CUDA_VISIBLE_DEVICES='0,,1' lists '', not a device",
      "ROCR_VISIBLE_DEVICES=0,x   | ROCR_VISIBLE_DEVICES='0,x' lists 'x', not a device",
      "CUDA_VISIBLE_DEVICES=-1    | CUDA_VISIBLE_DEVICES='-1' lists '-1', not a device",
      "HIP_VISIBLE_DEVICES=1,1    | HIP_VISIBLE_DEVICES='1,1' lists device 1 twice",
  })
  void badDeviceListsNameTheVariable(String vars, String message) {
    BootstrapException e = assertThrows(BootstrapException.class,
        () -> WorkersPerNode.decide(env(vars), null, null));
    assertTrue(e.getMessage().startsWith(message), e.getMessage());
  }
}
