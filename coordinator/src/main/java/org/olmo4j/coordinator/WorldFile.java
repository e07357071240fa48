package org.olmo4j.coordinator;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import org.olmo4j.worker.WorkerEvent;

/**
 * {@code SAVE_FOLDER/world.json}: the current world (generation, each rank's node, data-plane
 * endpoint and optimizer-state bytes), rewritten whenever a world is ready.
 */
final class WorldFile {

  private static final ObjectMapper JSON = new ObjectMapper();

  private WorldFile() {}

  static void write(Path saveFolder, long generation, long startStep,
      List<WorkerEvent.Registered> ranks, Map<Integer, WorkerEvent.Ready> ready, Recovery recovery) {
    ObjectNode root = JSON.createObjectNode();
    root.put("generation", generation);
    root.put("start_step", startStep);
    root.put("ready_epoch_ms", System.currentTimeMillis());
    if (recovery != null) {
      ObjectNode r = root.putObject("recovery");
      r.put("reason", recovery.reason());
      r.put("detected_epoch_ms", recovery.detectedEpochMillis());
      r.put("reformed_epoch_ms", recovery.reformedEpochMillis());
    }
    root.put("world_size", ranks.size());
    ArrayNode list = root.putArray("ranks");
    for (int r = 0; r < ranks.size(); r++) {
      ObjectNode o = list.addObject();
      o.put("rank", r);
      o.put("node", ranks.get(r).node());
      o.put("local_index", ranks.get(r).localIndex());
      o.put("endpoint", ranks.get(r).exchangeEndpoint());
      if (ranks.get(r).replicaEndpoint() != null) {
        o.put("replica_endpoint", ranks.get(r).replicaEndpoint()); // HYBRID_SHARD's second server
      }
      o.put("shard_elements", ready.get(r).shardElements());
      o.put("optimizer_state_bytes", ready.get(r).optimizerStateBytes());
    }
    try {
      Files.createDirectories(saveFolder);
      Path tmp = saveFolder.resolve("world.json.tmp");
      JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), root);
      Files.move(tmp, saveFolder.resolve("world.json"), StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write world.json in " + saveFolder, e);
    }
  }
}
