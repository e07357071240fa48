package org.olmo4j.io;

import java.lang.reflect.Constructor;

/**
 * jdk.incubator.vector: whether this JVM has it ({@code --add-modules jdk.incubator.vector}, as
 * {@code bin/olmo4j} and the tests run), and the SIMD kernels that are loaded only when it does.
 */
public final class VectorModule {

  private VectorModule() {}

  public static boolean present() {
    return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
  }

  /**
   * A new {@code simdClass} (its no-argument constructor) when the module is present and the
   * class links, else {@code fallback}.
   */
  public static <T> T kernel(Class<T> type, String simdClass, T fallback) {
    if (!present()) {
      return fallback;
    }
    try {
      Constructor<?> c = Class.forName(simdClass).getDeclaredConstructor();
      c.setAccessible(true); // package-private kernels
      return type.cast(c.newInstance());
    } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
      return fallback;
    }
  }
}
