package org.olmo4j.config;

import java.util.List;

/**
 * OLMo's {@code DataConfig}: memmap token files. A path {@code embedded:NAME} names a file of the
 * embedded default corpus, prepared on first use.
 */
public record DataConfig(
    List<String> paths,
    MemmapDtype memmapDtype,
    /* nullable: the run's seed */ Long seed,
    /* nullable */ List<String> labelMaskPaths) {}
