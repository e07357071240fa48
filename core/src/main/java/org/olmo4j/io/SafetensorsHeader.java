package org.olmo4j.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A parsed and validated safetensors header: tensors with their absolute byte positions. */
record SafetensorsHeader(Map<String, Entry> entries, Map<String, String> metadata, long dataStart) {

  /** A tensor and its data at {@code [begin, end)} bytes from the start of the file. */
  record Entry(TensorInfo info, long begin, long end) {}

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  static SafetensorsHeader read(Path file, FileChannel ch) throws IOException {
    long size = ch.size();
    if (size < 8) {
      throw new SafetensorsException(file, "file of " + size + " bytes is too short for a safetensors header");
    }
    ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    readFully(ch, lenBuf, 0);
    long headerLen = lenBuf.getLong(0);
    if (headerLen <= 0 || headerLen > Safetensors.MAX_HEADER_BYTES || headerLen > size - 8) {
      throw new SafetensorsException(file, "header length " + headerLen + " is not in [1, "
          + Math.min(Safetensors.MAX_HEADER_BYTES, size - 8) + "] (file of " + size + " bytes)");
    }
    ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
    readFully(ch, hb, 8);
    JsonNode root;
    try {
      root = JSON.readTree(hb.array());
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new SafetensorsException(file, "header is not valid JSON: " + e.getOriginalMessage());
    }
    if (root == null || !root.isObject()) {
      throw new SafetensorsException(file, "header is not a JSON object");
    }
    long dataStart = 8 + headerLen;
    Map<String, String> metadata = new LinkedHashMap<>();
    List<Entry> list = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> f = it.next();
      if (f.getKey().equals(Safetensors.METADATA_KEY)) {
        readMetadata(file, f.getValue(), metadata);
      } else {
        list.add(entry(file, f.getKey(), f.getValue(), dataStart));
      }
    }
    list.sort(Comparator.comparingLong(Entry::begin));
    long expected = dataStart;
    for (Entry e : list) {
      if (e.begin() != expected) {
        throw new SafetensorsException(file, "tensor '" + e.info().name() + "' data_offsets start at "
            + (e.begin() - dataStart) + ", expected " + (expected - dataStart)
            + " (tensors must be contiguous and must not overlap)");
      }
      expected = e.end();
    }
    if (expected != size) {
      throw new SafetensorsException(file, "tensor data ends at byte " + expected + " but the file has "
          + size + " bytes (truncated or trailing data)");
    }
    Map<String, Entry> entries = new LinkedHashMap<>();
    for (Entry e : list) {
      entries.put(e.info().name(), e);
    }
    return new SafetensorsHeader(entries, metadata, dataStart);
  }

  private static void readMetadata(Path file, JsonNode node, Map<String, String> out)
      throws SafetensorsException {
    if (!node.isObject()) {
      throw new SafetensorsException(file, "__metadata__ must be an object of strings");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> m = it.next();
      if (!m.getValue().isTextual()) {
        throw new SafetensorsException(file, "__metadata__." + m.getKey() + " must be a string");
      }
      out.put(m.getKey(), m.getValue().asText());
    }
  }

  private static Entry entry(Path file, String name, JsonNode node, long dataStart)
      throws SafetensorsException {
    String where = "tensor '" + name + "': ";
    JsonNode dt = node.get("dtype");
    JsonNode shapeNode = node.get("shape");
    JsonNode offs = node.get("data_offsets");
    if (dt == null || !dt.isTextual() || shapeNode == null || !shapeNode.isArray()
        || offs == null || !offs.isArray() || offs.size() != 2) {
      throw new SafetensorsException(file, where + "needs dtype (string), shape (array) and data_offsets ([begin, end])");
    }
    Dtype dtype = Dtype.byName(dt.asText());
    if (dtype == null) {
      throw new SafetensorsException(file, where + "unsupported dtype " + dt.asText());
    }
    long[] shape = new long[shapeNode.size()];
    for (int i = 0; i < shape.length; i++) {
      JsonNode d = shapeNode.get(i);
      if (!d.isIntegralNumber() || d.asLong() < 0) {
        throw new SafetensorsException(file, where + "bad dimension " + d + " in shape " + shapeNode);
      }
      shape[i] = d.asLong();
    }
    if (!offs.get(0).isIntegralNumber() || !offs.get(1).isIntegralNumber()) {
      throw new SafetensorsException(file, where + "data_offsets must be integers, got " + offs);
    }
    long begin = offs.get(0).asLong();
    long end = offs.get(1).asLong();
    if (begin < 0 || end < begin) {
      throw new SafetensorsException(file, where + "bad data_offsets " + offs);
    }
    TensorInfo info = new TensorInfo(name, dtype, shape);
    long bytes;
    try {
      bytes = info.byteSize();
    } catch (ArithmeticException e) {
      throw new SafetensorsException(file, where + "shape " + shapeNode + " is too large");
    }
    if (bytes != end - begin) {
      throw new SafetensorsException(file, where + "shape " + shapeNode + " × " + dtype + " is " + bytes
          + " bytes but data_offsets " + offs + " span " + (end - begin));
    }
    return new Entry(info, dataStart + begin, dataStart + end);
  }

  private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
    while (buf.hasRemaining()) {
      int n = ch.read(buf, pos + buf.position());
      if (n < 0) {
        throw new IOException("unexpected end of file");
      }
    }
  }
}
