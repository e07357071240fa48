package org.olmo4j.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.olmo4j.checkpointer.CheckpointBenchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code olmo4j bench checkpoint --dir D --mib 256}: checkpoint write bandwidth against a plain
 * sequential write + fsync of the same bytes on the same file system, and the training stall.
 */
@Command(name = "checkpoint", mixinStandardHelpOptions = true,
    description = "Checkpoint write bandwidth vs plain write + fsync (same bytes, same file system); stall.")
final class BenchCheckpointCommand implements Callable<Integer> {

  @Option(names = "--dir", defaultValue = "runs/bench-checkpoint", description = "Directory on the file system to measure")
  Path dir;

  @Option(names = "--mib", defaultValue = "256", description = "MiB of optimizer state in all (default ${DEFAULT-VALUE})")
  int mib;

  @Option(names = "--shards", defaultValue = "2", description = "Shards (ranks), default ${DEFAULT-VALUE}")
  int shards;

  @Option(names = "--repeats", defaultValue = "5", description = "Repetitions (default ${DEFAULT-VALUE})")
  int repeats;

  @Override
  public Integer call() throws Exception {
    CheckpointBenchmark.run(dir, mib, shards, repeats, System.out);
    return 0;
  }
}
