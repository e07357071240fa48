package org.olmo4j.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.olmo4j.config.DataConfig;

/**
 * The one place a data or eval path becomes a local file: {@code embedded:NAME} (the embedded
 * corpus), {@code http(s)://} (downloaded into the remote cache), a prefix named in
 * {@code data.remote_prefix_map} or {@code $OLMO4J_REMOTE_PREFIX_MAP} (rewritten, then resolved),
 * or a local path. Another scheme ({@code s3://}, {@code r2://}, {@code gs://}, …) is an error
 * saying how to make it local. Nothing is touched until {@link #resolve} is called.
 */
public final class DataPaths {

  public static final String PREFIX_MAP_ENV = "OLMO4J_REMOTE_PREFIX_MAP";
  private static final Pattern SCHEME = Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]*://.*");

  /** PREFIX=REPLACEMENT pairs, longest prefix first. */
  private final List<Map.Entry<String, String>> prefixMap;
  private final Path cacheRoot;
  private final Path remoteCache;
  private EmbeddedCorpus corpus;
  private RemoteFiles remote;

  DataPaths(Path cacheRoot, Path remoteCache, List<String> prefixMap) {
    this.cacheRoot = cacheRoot;
    this.remoteCache = remoteCache;
    this.prefixMap = parse(prefixMap);
  }

  /** The resolver of a run: its prefix map and cache, else the environment's and the defaults. */
  public static DataPaths of(DataConfig data) {
    Path root = EmbeddedCorpus.defaultCacheRoot();
    List<String> map = new ArrayList<>();
    if (data != null && data.remotePrefixMap() != null) {
      map.addAll(data.remotePrefixMap());
    }
    String env = System.getenv(PREFIX_MAP_ENV);
    if (env != null && !env.isBlank()) {
      map.addAll(Arrays.asList(env.split(",")));
    }
    Path remote = data != null && data.remoteCacheDir() != null
        ? Path.of(data.remoteCacheDir()) : root.resolve("remote");
    return new DataPaths(root, remote, map);
  }

  /** For paths without a run config: the environment's prefix map and the default caches. */
  public static DataPaths atDefaultCache() {
    return of(null);
  }

  /** The embedded corpus (its cache is only prepared when one of its files is resolved). */
  public synchronized EmbeddedCorpus corpus() {
    if (corpus == null) {
      corpus = new EmbeddedCorpus(cacheRoot);
    }
    return corpus;
  }

  /** The local file for {@code path}, downloading or preparing it first if needed. */
  public Path resolve(String path) {
    String mapped = mapped(path);
    if (EmbeddedCorpus.isEmbedded(mapped)) {
      return corpus().resolve(mapped);
    }
    if (RemoteFiles.isHttp(mapped)) {
      return remote().fetch(mapped);
    }
    if (mapped.startsWith("file://")) {
      return Path.of(java.net.URI.create(mapped));
    }
    if (SCHEME.matcher(mapped).matches()) {
      String scheme = mapped.substring(0, mapped.indexOf("://") + 3);
      String bucket = mapped.substring(0, Math.max(mapped.indexOf('/', scheme.length()), scheme.length()));
      throw new DataException("data path " + path + ": olmo4j reads local files and http(s) only, not "
          + scheme + "; copy the files to local disk and list the local paths, or map the prefix "
          + "to an http(s) mirror or a local directory, e.g. --data.remote_prefix_map="
          + bucket + "=https://HOST/PATH (or " + PREFIX_MAP_ENV + "=" + bucket + "=/local/dir)");
    }
    return Path.of(mapped);
  }

  /** Each of {@code paths} resolved, in order. */
  public List<Path> resolveAll(List<String> paths) {
    return paths.stream().map(this::resolve).toList();
  }

  String mapped(String path) {
    for (Map.Entry<String, String> e : prefixMap) {
      if (path.startsWith(e.getKey())) {
        return e.getValue() + path.substring(e.getKey().length());
      }
    }
    return path;
  }

  private synchronized RemoteFiles remote() {
    if (remote == null) {
      remote = new RemoteFiles(remoteCache);
    }
    return remote;
  }

  private static List<Map.Entry<String, String>> parse(List<String> entries) {
    List<Map.Entry<String, String>> out = new ArrayList<>();
    for (String entry : entries) {
      String e = entry.trim();
      // The prefix is a URL itself: split at the first '=' (URL prefixes rarely hold one).
      int eq = e.indexOf('=');
      if (eq <= 0 || eq == e.length() - 1) {
        throw new DataException("remote prefix map entry '" + entry + "': expected PREFIX=REPLACEMENT, "
            + "e.g. r2://olmo-data=https://HOST/olmo-data");
      }
      out.add(Map.entry(e.substring(0, eq), e.substring(eq + 1)));
    }
    // Earlier entries (the config's) win over later ones (the environment's) of the same length.
    List<Map.Entry<String, String>> sorted = new ArrayList<>(out);
    sorted.sort(Comparator.comparingInt((Map.Entry<String, String> x) -> x.getKey().length()).reversed());
    return sorted;
  }
}
