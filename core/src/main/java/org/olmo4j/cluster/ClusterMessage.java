package org.olmo4j.cluster;

/**
 * Marker for every message that may cross the network between cluster nodes: bound to Jackson
 * CBOR in {@code reference.conf}. Messages carry steps, ids, paths and scalars, never NDArrays.
 */
public interface ClusterMessage {}
