package org.olmo4j.model;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * A TorchScript archive written without Python: the zip {@code torch.jit.load} reads, holding
 * one module class's TorchScript source ({@code code/__torch__.py}), the pickled module object
 * with its attributes ({@code data.pkl}), an empty constants table and the format version. The
 * module has no parameters: weights come in as forward arguments.
 */
final class ScriptArchive {

  private static final String ROOT = "olmo4j";

  private ScriptArchive() {}

  /**
   * The archive bytes for class {@code className} defined in {@code source}, whose object holds
   * {@code attributes} (Boolean, Integer, Double, String or List of Integer; the source must
   * declare each with its type).
   */
  static byte[] write(String className, String source, Map<String, Object> attributes) {
    ByteArrayOutputStream zip = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(zip)) {
      put(z, ROOT + "/data.pkl", moduleObject(className, attributes));
      put(z, ROOT + "/code/__torch__.py", source.getBytes(StandardCharsets.UTF_8));
      put(z, ROOT + "/constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'}); // ()
      put(z, ROOT + "/version", "4\n".getBytes(StandardCharsets.US_ASCII));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return zip.toByteArray();
  }

  /** A TorchScript source shipped next to this class ({@code org/olmo4j/model/NAME}). */
  static String source(String name) {
    try (InputStream in = ScriptArchive.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException(name + " is missing from the olmo4j-core jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Stored (uncompressed) entries, as torch.jit.save writes them. */
  private static void put(ZipOutputStream z, String name, byte[] data) throws IOException {
    ZipEntry e = new ZipEntry(name);
    e.setMethod(ZipEntry.STORED);
    e.setSize(data.length);
    e.setCompressedSize(data.length);
    CRC32 crc = new CRC32();
    crc.update(data);
    e.setCrc(crc.getValue());
    z.putNextEntry(e);
    z.write(data);
    z.closeEntry();
  }

  /**
   * Pickle protocol 2, as torch's pickler writes a script object: {@code __torch__.CLASS()}
   * built from a dict of its attributes; an int list goes through
   * {@code torch.jit._pickle.build_intlist} so it unpickles as {@code List[int]}.
   */
  private static byte[] moduleObject(String className, Map<String, Object> attributes) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(new byte[] {(byte) 0x80, 2});
    global(b, "__torch__", className);
    b.write(')'); // EMPTY_TUPLE
    b.write(0x81); // NEWOBJ
    b.write('}'); // EMPTY_DICT
    b.write('('); // MARK
    text(b, "training");
    b.write(0x88); // NEWTRUE
    for (Map.Entry<String, Object> a : attributes.entrySet()) {
      text(b, a.getKey());
      value(b, a.getValue());
    }
    b.write('u'); // SETITEMS
    b.write('b'); // BUILD
    b.write('.'); // STOP
    return b.toByteArray();
  }

  private static void value(ByteArrayOutputStream b, Object v) {
    if (v instanceof Boolean flag) {
      b.write(flag ? 0x88 : 0x89);
    } else if (v instanceof Integer i) {
      b.write('J'); // BININT, little-endian
      b.writeBytes(ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(i).array());
    } else if (v instanceof Double d) {
      b.write('G'); // BINFLOAT, big-endian
      b.writeBytes(ByteBuffer.allocate(8).putDouble(d).array());
    } else if (v instanceof String s) {
      text(b, s);
    } else if (v instanceof List<?> list) {
      global(b, "torch.jit._pickle", "build_intlist");
      b.write('('); // MARK (args tuple)
      b.write(']'); // EMPTY_LIST
      b.write('('); // MARK
      for (Object e : list) {
        value(b, (Integer) e);
      }
      b.write('e'); // APPENDS
      b.write('t'); // TUPLE
      b.write('R'); // REDUCE
    } else {
      throw new IllegalArgumentException("cannot pickle attribute value " + v);
    }
  }

  private static void global(ByteArrayOutputStream b, String module, String name) {
    b.write('c');
    b.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
  }

  private static void text(ByteArrayOutputStream b, String s) {
    byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
    b.write('X'); // BINUNICODE
    b.writeBytes(ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(utf8.length)
        .array());
    b.writeBytes(utf8);
  }
}
