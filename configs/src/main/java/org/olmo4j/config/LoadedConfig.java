package org.olmo4j.config;

import java.util.List;

/** A loaded config and the OLMo keys it set that olmo4j ignores (in defaults' order, then the file's). */
public record LoadedConfig(TrainConfig config, List<IgnoredKey> ignored) {}
