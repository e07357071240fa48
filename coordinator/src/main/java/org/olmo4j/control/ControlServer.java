package org.olmo4j.control;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.http.javadsl.ConnectionContext;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.ServerBuilder;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.olmo4j.config.ControlConfig;
import org.olmo4j.config.TrainConfig;
import org.olmo4j.coordinator.Coordinator;
import org.olmo4j.coordinator.RunEvents;
import org.olmo4j.proto.control.ControlPowerApiHandlerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control service's HTTP/2 endpoint on the coordinator's node (Pekko gRPC), started and
 * stopped with the coordinator, so it moves with the singleton. Writes {@code control.json}
 * (the endpoint) into the save folder. A port that cannot be bound is logged and the run goes on
 * without remote control: the run matters more than its dashboard.
 */
public final class ControlServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ControlServer.class);

  /** Completes with the binding once bound, with null when disabled or the start failed. */
  private final CompletionStage<ServerBinding> binding;

  private ControlServer(CompletionStage<ServerBinding> binding) {
    this.binding = binding;
  }

  /**
   * Starts the service as {@code cfg.control} says, in the background (the token file and the
   * bind are I/O, and the coordinator's thread never waits); a server that does nothing when
   * disabled.
   */
  public static ControlServer start(ActorSystem<?> system, ActorRef<Coordinator.Command> coordinator,
      RunEvents events, TrainConfig cfg) {
    ControlConfig c = cfg.control();
    if (!c.enabled()) {
      return new ControlServer(CompletableFuture.completedFuture(null));
    }
    Path saveFolder = Path.of(cfg.saveFolder());
    Executor blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
    CompletionStage<ServerBinding> bound = CompletableFuture
        .supplyAsync(() -> token(c, saveFolder), blocking)
        .thenCompose(token -> bind(system, coordinator, events, c, saveFolder, token))
        .thenApplyAsync(b -> {
          ControlEndpoint endpoint = new ControlEndpoint(c.host(), b.localAddress().getPort(),
              c.tlsKeystore() != null);
          try {
            endpoint.write(saveFolder);
          } catch (IOException e) {
            log.error("cannot write the control endpoint into {}: {}", saveFolder, e.toString());
          }
          log.info("control service on {}{} (bin/olmo4j ctl status --endpoint {})", endpoint,
              c.tlsKeystore() != null ? " (TLS)" : "", endpoint);
          return b;
        }, blocking)
        .exceptionally(e -> {
          Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
          log.error("the control service could not start on {}:{} ({}); training goes on without it",
              c.host(), c.port(), cause.getCause() != null ? cause.getCause().toString() : cause.toString());
          return null;
        });
    return new ControlServer(bound);
  }

  private static CompletionStage<ServerBinding> bind(ActorSystem<?> system,
      ActorRef<Coordinator.Command> coordinator, RunEvents events, ControlConfig c, Path saveFolder,
      String token) {
    try {
      ControlService service = new ControlService(coordinator, events, system, token,
          c.maxRequestBytes(), saveFolder);
      ServerBuilder builder = Http.get(system).newServerAt(c.host(), c.port());
      if (c.tlsKeystore() != null) {
        builder = builder.enableHttps(ConnectionContext.httpsServer(sslContext(c)));
      }
      var grpc = ControlPowerApiHandlerFactory.create(service, system);
      Dashboard pages = new Dashboard(coordinator, system, token, saveFolder, events);
      org.apache.pekko.japi.function.Function<HttpRequest, CompletionStage<HttpResponse>> routes =
          req -> req.getUri().path().startsWith("/olmo4j.control.Control/")
              ? grpc.apply(req) : pages.handle(req);
      return builder.bind(routes);
    } catch (Exception e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Fails with a message naming the key when the config points at a token file, key store or
   * variable that is not there; called before the node starts, so the user sees it at once.
   */
  public static void checkConfig(ControlConfig c) {
    if (!c.enabled()) {
      return;
    }
    if (c.tokenFile() != null && !Files.isReadable(Path.of(c.tokenFile()))) {
      throw new IllegalArgumentException("control.token_file " + c.tokenFile() + " cannot be read");
    }
    if (c.tlsKeystore() != null) {
      if (!Files.isReadable(Path.of(c.tlsKeystore()))) {
        throw new IllegalArgumentException("control.tls_keystore " + c.tlsKeystore() + " cannot be read");
      }
      if (System.getenv(c.tlsPasswordEnv()) == null) {
        throw new IllegalArgumentException("control.tls_password_env names " + c.tlsPasswordEnv()
            + ", which is not set");
      }
    }
  }

  /** The token from control.token_file, else control.token_env, else a new one in the save folder. */
  static String token(ControlConfig c, Path saveFolder) {
    try {
      if (c.tokenFile() != null) {
        Path f = Path.of(c.tokenFile());
        if (!Files.isReadable(f)) {
          throw new IllegalArgumentException("control.token_file " + f + " cannot be read");
        }
        String t = Files.readString(f, StandardCharsets.UTF_8).strip();
        if (t.isEmpty()) {
          throw new IllegalArgumentException("control.token_file " + f + " is empty");
        }
        return t;
      }
      String fromEnv = c.tokenEnv() == null ? null : System.getenv(c.tokenEnv());
      if (fromEnv != null && !fromEnv.isBlank()) {
        return fromEnv.strip();
      }
      byte[] random = new byte[24];
      new SecureRandom().nextBytes(random);
      String t = HexFormat.of().formatHex(random);
      Files.createDirectories(saveFolder);
      Path f = saveFolder.resolve("control.token");
      Files.deleteIfExists(f);
      Files.createFile(f, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(f, t + "\n");
      log.info("control token written to {} (owner-only)", f);
      return t;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot set up the control token: " + e.getMessage(), e);
    }
  }

  private static SSLContext sslContext(ControlConfig c) throws Exception {
    String password = System.getenv(c.tlsPasswordEnv());
    if (password == null) {
      throw new IllegalArgumentException("control.tls_password_env names " + c.tlsPasswordEnv()
          + ", which is not set");
    }
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(Path.of(c.tlsKeystore()))) {
      ks.load(in, password.toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, password.toCharArray());
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), null, new SecureRandom());
    return ctx;
  }

  @Override
  public void close() {
    // A server still binding is terminated once bound.
    binding.thenAccept(b -> {
      if (b != null) {
        b.terminate(Duration.ofSeconds(3));
      }
    });
  }
}
