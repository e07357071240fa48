package org.olmo4j.control;

import com.typesafe.config.ConfigFactory;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.apache.pekko.stream.javadsl.Source;
import org.olmo4j.proto.control.Ack;
import org.olmo4j.proto.control.CheckpointInfo;
import org.olmo4j.proto.control.CheckpointList;
import org.olmo4j.proto.control.ControlClient;
import org.olmo4j.proto.control.DrainRequest;
import org.olmo4j.proto.control.ListCheckpointsRequest;
import org.olmo4j.proto.control.PauseRequest;
import org.olmo4j.proto.control.ResumeRequest;
import org.olmo4j.proto.control.RunEvent;
import org.olmo4j.proto.control.SaveRequest;
import org.olmo4j.proto.control.Status;
import org.olmo4j.proto.control.StatusRequest;
import org.olmo4j.proto.control.StopRequest;
import org.olmo4j.proto.control.WatchRequest;

/**
 * A client of a run's control service ({@code bin/olmo4j ctl}, tests, benchmarks): a local
 * actor system (no cluster) and a Pekko gRPC client that sends the bearer token with every call.
 * Calls block; a refused call throws {@link io.grpc.StatusRuntimeException} with the status.
 */
public final class ControlConnection implements AutoCloseable {

  private final ActorSystem<Void> system;
  private final ControlClient client;
  private final String authorization;

  /** @param token null: send no token (the service refuses every call) */
  public ControlConnection(String host, int port, String token, boolean tls) {
    this(host, port, token, tls, null, null);
  }

  /**
   * @param trustStore null: the JVM's trust store; else a PKCS#12 trust store with the server's
   *     certificate (for a self-signed one), opened with {@code trustPassword}
   */
  public ControlConnection(String host, int port, String token, boolean tls,
      java.nio.file.Path trustStore, String trustPassword) {
    this.system = ActorSystem.create(Behaviors.empty(), "olmo4j-ctl", ConfigFactory.parseString(
            "pekko.actor.provider = local\npekko.loglevel = WARNING\npekko.stdout-loglevel = WARNING")
        .withFallback(ConfigFactory.load()));
    GrpcClientSettings settings = GrpcClientSettings.connectToServiceAt(host, port, system).withTls(tls);
    if (tls && trustStore != null) {
      settings = settings.withTrustManager(trustManager(trustStore, trustPassword));
    }
    this.client = ControlClient.create(settings, system);
    this.authorization = token == null ? null : "Bearer " + token;
  }

  private static javax.net.ssl.TrustManager trustManager(java.nio.file.Path store, String password) {
    try (var in = java.nio.file.Files.newInputStream(store)) {
      java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
      ks.load(in, password == null ? null : password.toCharArray());
      var tmf = javax.net.ssl.TrustManagerFactory.getInstance(
          javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ks);
      return tmf.getTrustManagers()[0];
    } catch (java.io.IOException | java.security.GeneralSecurityException e) {
      throw new IllegalArgumentException("trust store " + store + " cannot be read: " + e.getMessage(), e);
    }
  }

  public Status status() {
    return await(withToken(client.getStatus()).invoke(StatusRequest.getDefaultInstance()));
  }

  public Source<RunEvent, NotUsed> watch() {
    var call = client.watchMetrics();
    return (authorization == null ? call : call.addHeader("authorization", authorization))
        .invoke(WatchRequest.getDefaultInstance());
  }

  public Ack pause() {
    return await(withToken(client.pause()).invoke(PauseRequest.getDefaultInstance()));
  }

  public Ack resume() {
    return await(withToken(client.resume()).invoke(ResumeRequest.getDefaultInstance()));
  }

  public CheckpointInfo save() {
    return await(withToken(client.saveCheckpoint()).invoke(SaveRequest.getDefaultInstance()));
  }

  public CheckpointInfo stop() {
    return await(withToken(client.stop()).invoke(StopRequest.getDefaultInstance()));
  }

  public Ack drain(String node) {
    return await(withToken(client.drainNode()).invoke(DrainRequest.newBuilder().setNode(node).build()));
  }

  public CheckpointList checkpoints() {
    return await(withToken(client.listCheckpoints()).invoke(ListCheckpointsRequest.getDefaultInstance()));
  }

  public ActorSystem<Void> system() {
    return system;
  }

  private <I, O> org.apache.pekko.grpc.javadsl.SingleResponseRequestBuilder<I, O> withToken(
      org.apache.pekko.grpc.javadsl.SingleResponseRequestBuilder<I, O> call) {
    return authorization == null ? call : call.addHeader("authorization", authorization);
  }

  private static <T> T await(CompletionStage<T> reply) {
    try {
      return reply.toCompletableFuture().get(31, TimeUnit.MINUTES);
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(c.getMessage(), c);
    } catch (Exception e) {
      throw new IllegalStateException("no answer from the control service: " + e, e);
    }
  }

  @Override
  public void close() {
    client.close().toCompletableFuture().orTimeout(5, TimeUnit.SECONDS).exceptionally(e -> null).join();
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS)
        .exceptionally(e -> null).join();
  }

}
