package org.olmo4j.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.olmo4j.checkpoint.CheckpointStore;
import org.olmo4j.coordinator.RunEvents;

/**
 * The status page's checkpoints from a save folder and the coordinator's notices: a committed
 * checkpoint with its size and times, one that retention removed, one of an earlier coordinator
 * (no times), a failed one, and a folder still being written (not listed).
 */
class CheckpointListTest {

  @TempDir Path save;

  @Test
  void committedRemovedEarlierAndFailedCheckpoints() throws Exception {
    checkpoint("step5", 1000);
    checkpoint("step2", 10);
    Files.createDirectories(save.resolve("step8.tmp"));
    Files.writeString(save.resolve(CheckpointStore.LATEST), "step5");
    Instant t = Instant.parse("2026-01-02T03:04:05Z");
    List<RunEvents.Recorded> notices = List.of(
        recorded(1, t, "checkpoint_committed", 3, save.resolve("step3").toString(),
            Map.of("write_seconds", 0.5, "stall_seconds", 0.01)),
        recorded(2, t.plusSeconds(1), "eval", 5, "eval round of step 5", Map.of("eval/lm", 1.0)),
        recorded(3, t.plusSeconds(2), "checkpoint_committed", 5, save.resolve("step5").toString(),
            Map.of("write_seconds", 0.25, "stall_seconds", Double.NaN)),
        recorded(4, t.plusSeconds(3), "checkpoint_failed", 8, "rank 1: disk full", Map.of()));

    ArrayNode rows = new CheckpointList(save).rows(notices);

    assertEquals(4, rows.size(), rows.toString());
    JsonNode failed = rows.get(0);
    assertEquals(8, failed.get("step").asLong());
    assertEquals("failed", failed.get("state").asText());
    assertEquals("rank 1: disk full", failed.get("message").asText());
    assertEquals(t.plusSeconds(3).getEpochSecond(), failed.get("time").asDouble(), 1e-9);

    JsonNode latest = rows.get(1);
    assertEquals(5, latest.get("step").asLong());
    assertEquals("committed", latest.get("state").asText());
    assertTrue(latest.get("latest").asBoolean());
    assertEquals(1000 + "{}".length(), latest.get("size_bytes").asLong(), "shard + manifest");
    assertEquals(0.25, latest.get("write_s").asDouble());
    assertTrue(latest.get("stall_s").isNull(), "a NaN is not known: " + latest);
    assertEquals(t.plusSeconds(2).getEpochSecond(), latest.get("time").asDouble(), 1e-9,
        "the commit's time from the notice");

    JsonNode removed = rows.get(2);
    assertEquals(3, removed.get("step").asLong());
    assertEquals("removed", removed.get("state").asText());
    assertTrue(removed.get("size_bytes").isNull());
    assertEquals(0.5, removed.get("write_s").asDouble());

    JsonNode earlier = rows.get(3);
    assertEquals(2, earlier.get("step").asLong());
    assertEquals("committed", earlier.get("state").asText());
    assertEquals(10 + "{}".length(), earlier.get("size_bytes").asLong());
    assertTrue(earlier.get("write_s").isNull() && earlier.get("time").isNumber(), earlier.toString());
    assertEquals(false, earlier.get("latest").asBoolean());
  }

  private void checkpoint(String name, int shardBytes) throws Exception {
    Path dir = Files.createDirectories(save.resolve(name));
    Files.write(dir.resolve("rank0.safetensors"), new byte[shardBytes]);
    Files.writeString(dir.resolve(CheckpointStore.MANIFEST), "{}");
  }

  private static RunEvents.Recorded recorded(long seq, Instant time, String kind, long step,
      String message, Map<String, Double> values) {
    return new RunEvents.Recorded(seq, time, new RunEvents.Notice(kind, step, message, values));
  }
}
