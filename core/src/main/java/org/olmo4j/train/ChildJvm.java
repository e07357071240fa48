package org.olmo4j.train;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.olmo4j.io.VectorModule;

/**
 * The command line of another JVM like this one, for benchmarks and tests that start nodes and
 * ranks: the same java and class path, and jdk.incubator.vector when this JVM has it (the
 * exchange's SIMD reduce-scatter kernel).
 */
public final class ChildJvm {

  private ChildJvm() {}

  /** {@code java [--add-modules=jdk.incubator.vector] JVM_ARGS -cp CLASSPATH MAIN ARGS}. */
  public static List<String> command(List<String> jvmArgs, String mainClass, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    if (VectorModule.present()) {
      cmd.add("--add-modules=jdk.incubator.vector");
    }
    cmd.addAll(jvmArgs);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(mainClass);
    cmd.addAll(args);
    return cmd;
  }
}
