package org.olmo4j.config;

import java.util.List;
import java.util.Map;

/**
 * The data of one evaluator, as OLMo's eval {@code DataConfig}: {@code paths}, or
 * {@code datasets} (label → paths, reported per label and combined). For {@code lm}: memmap token
 * files; for {@code downstream}: task JSONL files. {@code embedded:NAME} names embedded data.
 */
public record EvalDataConfig(
    /* nullable */ List<String> paths,
    /* nullable */ Map<String, List<String>> datasets,
    /* nullable: data.memmap_dtype */ MemmapDtype memmapDtype) {}
