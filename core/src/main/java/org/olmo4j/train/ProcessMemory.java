package org.olmo4j.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Resident set size of this process (native DJL memory included), from /proc. */
public final class ProcessMemory {

  private ProcessMemory() {}

  /** VmRSS in bytes, or -1 where /proc/self/status is not available. */
  public static long rssBytes() {
    return status("VmRSS:");
  }

  /** VmHWM (the most VmRSS since start or {@link #resetPeak()}) in bytes, or -1. */
  public static long peakRssBytes() {
    return status("VmHWM:");
  }

  /**
   * Starts a new VmHWM at the RSS now (Linux: {@code 5 > /proc/self/clear_refs}); false where
   * that is not permitted.
   */
  public static boolean resetPeak() {
    try {
      Files.writeString(Path.of("/proc/self/clear_refs"), "5");
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private static long status(String key) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith(key)) {
          String[] parts = line.trim().split("\\s+");
          return Long.parseLong(parts[1]) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }
}
