package org.olmo4j.bootstrap;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The accelerators a process may use, from {@code CUDA_VISIBLE_DEVICES}, {@code HIP_VISIBLE_DEVICES}
 * or {@code ROCR_VISIBLE_DEVICES}: a comma-separated list of indices (or NVIDIA {@code GPU-}/{@code
 * MIG-} UUIDs); the empty string means no device.
 */
public record VisibleDevices(String variable, int count) {

  /** In this order: the first one set decides (HIP narrows ROCR's list, so it comes first). */
  public static final List<String> VARIABLES =
      List.of("CUDA_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES");

  /** The devices named by the first variable that is set, or empty when none is. */
  public static Optional<VisibleDevices> read(Map<String, String> env) {
    for (String name : VARIABLES) {
      String value = env.get(name);
      if (value != null) {
        return Optional.of(new VisibleDevices(name, count(name, value)));
      }
    }
    return Optional.empty();
  }

  private static int count(String name, String value) {
    if (value.isBlank()) {
      return 0;
    }
    Set<String> seen = new HashSet<>();
    for (String raw : value.split(",", -1)) {
      String id = raw.trim();
      if (!id.matches("[0-9]{1,6}|(GPU|MIG)-[0-9A-Za-z/-]+")) {
        throw new BootstrapException(name + "='" + value + "' lists '" + id
            + "', not a device: expected comma-separated indices such as 0,1,2,3 (or GPU-/MIG- UUIDs)");
      }
      if (!seen.add(id)) {
        throw new BootstrapException(name + "='" + value + "' lists device " + id + " twice");
      }
    }
    return seen.size();
  }
}
