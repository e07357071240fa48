package org.olmo4j.config;

/**
 * The control service (gRPC) on the coordinator's node: where it listens, the bearer token every
 * call must carry, TLS. Without a token file or variable a random token is written to
 * {@code save_folder/control.token} (owner-only), so the service is never open.
 */
public record ControlConfig(
    boolean enabled,
    String host,
    /* 0: any free port */ int port,
    /* nullable */ String tokenFile,
    /* nullable: name of an environment variable holding the token */ String tokenEnv,
    /* nullable: PKCS#12 key store with the server's key and certificate; null: plain HTTP/2 */
    String tlsKeystore,
    /* nullable: environment variable with the key store's password */ String tlsPasswordEnv,
    int maxRequestBytes) {}
