package org.olmo4j.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A one-dimensional little-endian integer {@code .npy} array of instance indices. */
final class NpyIndices implements GlobalOrder.IndexSource {
  private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([<|])([ui])([48])'");
  private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\((\\d+),?\\)");

  private final MappedArray data;
  private final long numInstances;

  private NpyIndices(MappedArray data, long numInstances) {
    this.data = data;
    this.numInstances = numInstances;
  }

  static NpyIndices open(Path path, long numInstances) {
    byte[] prefix = new byte[12];
    try (InputStream in = Files.newInputStream(path)) {
      int n = in.readNBytes(prefix, 0, prefix.length);
      if (n < 10 || (prefix[0] & 0xff) != 0x93
          || !"NUMPY".equals(new String(prefix, 1, 5, StandardCharsets.US_ASCII))) {
        throw new DataException("global indices file " + path + " is not a .npy file");
      }
      ByteBuffer b = ByteBuffer.wrap(prefix).order(ByteOrder.LITTLE_ENDIAN);
      int major = prefix[6];
      long headerLen = major == 1 ? Short.toUnsignedInt(b.getShort(8)) : Integer.toUnsignedLong(b.getInt(8));
      long dataStart = (major == 1 ? 10 : 12) + headerLen;
      byte[] header = readHeader(path, dataStart);
      String dict = new String(header, StandardCharsets.ISO_8859_1);
      Matcher descr = DESCR.matcher(dict);
      Matcher shape = SHAPE.matcher(dict);
      if (!descr.find() || !shape.find() || dict.contains("'fortran_order': True")) {
        throw new DataException(
            "global indices file " + path + ": expected a 1-D little-endian int32/int64/uint32/"
                + "uint64 array, header is " + dict.strip());
      }
      MappedArray data = MappedArray.open(
          path, dataStart, Integer.parseInt(descr.group(3)), "global indices file",
          MappedArray.DEFAULT_CHUNK_BYTES);
      if (data.length() != Long.parseLong(shape.group(1))) {
        throw new DataException("global indices file " + path + ": header shape " + shape.group(1)
            + " but " + data.length() + " elements present");
      }
      return new NpyIndices(data, numInstances);
    } catch (NoSuchFileException e) {
      throw new DataException("global indices file " + path + " does not exist", e);
    } catch (IOException e) {
      throw new DataException("cannot read global indices file " + path + ": " + e.getMessage(), e);
    }
  }

  private static byte[] readHeader(Path path, long dataStart) throws IOException {
    try (InputStream in = Files.newInputStream(path)) {
      return in.readNBytes((int) dataStart);
    }
  }

  @Override
  public long size() {
    return data.length();
  }

  @Override
  public long get(long position) {
    long index = data.get(position);
    if (index < 0 || index >= numInstances) {
      throw new DataException("global indices file " + data.path() + ": entry " + position + " = "
          + index + " is not an instance index below " + numInstances);
    }
    return index;
  }
}
