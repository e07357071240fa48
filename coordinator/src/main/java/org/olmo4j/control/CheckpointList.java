package org.olmo4j.control;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.olmo4j.checkpoint.CheckpointStore;
import org.olmo4j.coordinator.RunEvents;

/**
 * The status page's checkpoints: the committed {@code stepN} folders of the save folder (time and
 * size from the disk) joined with this coordinator's notices of them (commit time, slowest shard
 * write, training stall), commits that retention has removed since, and failed checkpoints.
 */
final class CheckpointList {

  /** A committed checkpoint does not change: each folder's size is summed once per manifest. */
  private final Map<String, Long> sizes = new ConcurrentHashMap<>();
  private final CheckpointStore store;

  CheckpointList(Path saveFolder) {
    this.store = new CheckpointStore(saveFolder);
  }

  /** Rows newest step first: step, state (committed, removed, failed), time, size, times, path. */
  ArrayNode rows(List<RunEvents.Recorded> notices) {
    Map<Long, ObjectNode> committed = new TreeMap<>();
    List<ObjectNode> failed = new ArrayList<>();
    String latest = latestName();
    for (long step : onDisk()) {
      Path dir = store.stepDir(step);
      ObjectNode row = row(step, "committed");
      row.put("path", dir.toString()).put("latest", dir.getFileName().toString().equals(latest));
      try {
        long written = Files.getLastModifiedTime(dir.resolve(CheckpointStore.MANIFEST)).toMillis();
        row.put("time", written / 1000.0);
        row.put("size_bytes", sizes.computeIfAbsent(dir + "@" + written, k -> size(dir)));
      } catch (IOException | UncheckedIOException e) {
        continue; // removed by retention while we looked
      }
      committed.put(step, row);
    }
    for (RunEvents.Recorded r : notices) {
      RunEvents.Notice n = r.notice();
      double time = r.time().toEpochMilli() / 1000.0;
      if (n.kind().equals("checkpoint_committed")) {
        ObjectNode row = committed.computeIfAbsent(n.step(), s -> row(s, "removed")
            .put("path", n.message()).put("latest", false));
        row.put("time", time);
        putSeconds(row, "write_s", n.values().get("write_seconds"));
        putSeconds(row, "stall_s", n.values().get("stall_seconds"));
      } else if (n.kind().equals("checkpoint_failed")) {
        ObjectNode row = row(n.step(), "failed").put("time", time).put("message", n.message());
        putSeconds(row, "write_s", n.values().get("write_seconds"));
        putSeconds(row, "stall_s", n.values().get("stall_seconds"));
        failed.add(row);
      }
    }
    List<ObjectNode> all = new ArrayList<>(committed.values());
    all.addAll(failed);
    all.sort(Comparator.<ObjectNode>comparingLong(o -> o.get("step").asLong())
        .thenComparingDouble(o -> o.path("time").asDouble()).reversed());
    ArrayNode out = JsonNodeFactory.instance.arrayNode();
    all.forEach(out::add);
    return out;
  }

  private static ObjectNode row(long step, String state) {
    ObjectNode row = JsonNodeFactory.instance.objectNode().put("step", step).put("state", state);
    row.putNull("time");
    row.putNull("size_bytes");
    row.putNull("write_s");
    row.putNull("stall_s");
    return row;
  }

  /** Seconds where known: a notice without the figure (or a NaN) leaves null. */
  private static void putSeconds(ObjectNode row, String key, Double v) {
    if (v != null && Double.isFinite(v)) {
      row.put(key, v);
    }
  }

  private List<Long> onDisk() {
    try {
      return store.committedSteps();
    } catch (IOException e) {
      return List.of(); // the folder is being changed; the page asks again
    }
  }

  private String latestName() {
    try {
      Path f = store.saveFolder().resolve(CheckpointStore.LATEST);
      return Files.isRegularFile(f) ? Files.readString(f).strip() : "";
    } catch (IOException e) {
      return "";
    }
  }

  private static long size(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(f -> {
        try {
          return Files.size(f);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }).sum();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
