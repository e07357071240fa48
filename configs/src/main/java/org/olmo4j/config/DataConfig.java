package org.olmo4j.config;

import com.fasterxml.jackson.annotation.JsonFormat;
import java.util.List;

/**
 * OLMo's {@code DataConfig}: memmap token files. A path {@code embedded:NAME} names a file of the
 * embedded default corpus, prepared on first use; an {@code http(s)://} path is fetched into a
 * local cache; another scheme ({@code s3://}, {@code r2://}, {@code gs://}) is read through
 * {@code remote_prefix_map}, a list of {@code PREFIX=REPLACEMENT} entries (one entry may be given
 * as a plain string, e.g. {@code --data.remote_prefix_map=r2://olmo-data=https://host/olmo-data}).
 */
public record DataConfig(
    List<String> paths,
    MemmapDtype memmapDtype,
    /* nullable: the run's seed */ Long seed,
    /* nullable */ List<String> labelMaskPaths,
    /* nullable: no filter */ InstanceFilterConfig instanceFilter,
    @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
    /* nullable */ List<String> remotePrefixMap,
    /* nullable: $OLMO4J_CACHE/remote, else ~/.cache/olmo4j/remote */ String remoteCacheDir,
    /* resume a checkpoint written for other data (its fingerprint differs) anyway */
    boolean ignoreFingerprintMismatch) {}
