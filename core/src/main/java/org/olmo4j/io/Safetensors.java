package org.olmo4j.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The safetensors format: an 8-byte little-endian header length, a JSON header
 * {@code {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}} padded
 * with spaces to 8-byte alignment, then the tensors packed back to back.
 */
public final class Safetensors {

  /** The header key holding string metadata instead of a tensor. */
  public static final String METADATA_KEY = "__metadata__";

  /** Largest header accepted, as the reference implementation (100 MB). */
  public static final long MAX_HEADER_BYTES = 100_000_000L;

  private Safetensors() {}

  /** Opens {@code file} for reading, validating its header against the file size. */
  public static SafetensorsReader open(Path file) throws IOException {
    return SafetensorsReader.open(file);
  }

  /** Creates {@code file} and writes the header; stream the tensors' data in order afterwards. */
  public static SafetensorsWriter create(Path file, List<TensorInfo> tensors, Map<String, String> metadata)
      throws IOException {
    return SafetensorsWriter.create(file, tensors, metadata);
  }
}
