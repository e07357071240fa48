package org.olmo4j.control;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.grpc.javadsl.Metadata;
import org.apache.pekko.stream.javadsl.Source;
import com.google.protobuf.MessageLite;
import io.grpc.Status;
import org.olmo4j.checkpoint.CheckpointStore;
import org.olmo4j.coordinator.ControlReply;
import org.olmo4j.coordinator.Coordinator;
import org.olmo4j.coordinator.RunEvents;
import org.olmo4j.coordinator.RunStatus;
import org.olmo4j.proto.control.Ack;
import org.olmo4j.proto.control.CheckpointInfo;
import org.olmo4j.proto.control.CheckpointList;
import org.olmo4j.proto.control.ControlPowerApi;
import org.olmo4j.proto.control.DrainRequest;
import org.olmo4j.proto.control.ListCheckpointsRequest;
import org.olmo4j.proto.control.PauseRequest;
import org.olmo4j.proto.control.ResumeRequest;
import org.olmo4j.proto.control.RunEvent;
import org.olmo4j.proto.control.SaveRequest;
import org.olmo4j.proto.control.StatusRequest;
import org.olmo4j.proto.control.StopRequest;
import org.olmo4j.proto.control.WatchRequest;

/**
 * The control service: checks the bearer token and the request size, turns each call into a
 * request to the coordinator and its answer into protobuf. Nothing here holds run state.
 */
final class ControlService implements ControlPowerApi {

  /** Long enough for a checkpoint at the next step to be written and committed. */
  private static final Duration SLOW = Duration.ofMinutes(30);
  private static final Duration FAST = Duration.ofSeconds(10);

  private final ActorRef<Coordinator.Command> coordinator;
  private final RunEvents events;
  private final ActorSystem<?> system;
  private final byte[] expected;
  private final int maxRequestBytes;
  private final Path saveFolder;

  ControlService(ActorRef<Coordinator.Command> coordinator, RunEvents events, ActorSystem<?> system,
      String token, int maxRequestBytes, Path saveFolder) {
    this.coordinator = coordinator;
    this.events = events;
    this.system = system;
    this.expected = ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
    this.maxRequestBytes = maxRequestBytes;
    this.saveFolder = saveFolder;
  }

  @Override
  public CompletionStage<org.olmo4j.proto.control.Status> getStatus(StatusRequest in, Metadata md) {
    return checked(in, md, () -> AskPattern.<Coordinator.Command, RunStatus>ask(coordinator,
        Coordinator.GetStatus::new, FAST, system.scheduler()).thenApply(ProtoRun::status));
  }

  @Override
  public Source<RunEvent, NotUsed> watchMetrics(WatchRequest in, Metadata md) {
    StatusRuntime refusal = refusal(in, md);
    if (refusal != null) {
      return Source.failed(refusal.exception());
    }
    return events.feed().map(ProtoRun::event);
  }

  @Override
  public CompletionStage<Ack> pause(PauseRequest in, Metadata md) {
    return checked(in, md, () -> control(Coordinator.ControlAction.PAUSE, null).thenApply(ProtoRun::ack));
  }

  @Override
  public CompletionStage<Ack> resume(ResumeRequest in, Metadata md) {
    return checked(in, md, () -> control(Coordinator.ControlAction.RESUME, null).thenApply(ProtoRun::ack));
  }

  @Override
  public CompletionStage<CheckpointInfo> saveCheckpoint(SaveRequest in, Metadata md) {
    return checked(in, md, () -> control(Coordinator.ControlAction.SAVE, null)
        .thenApply(ProtoRun::checkpoint));
  }

  @Override
  public CompletionStage<CheckpointInfo> stop(StopRequest in, Metadata md) {
    return checked(in, md, () -> control(Coordinator.ControlAction.STOP, null)
        .thenApply(ProtoRun::checkpoint));
  }

  @Override
  public CompletionStage<Ack> drainNode(DrainRequest in, Metadata md) {
    return checked(in, md, () -> in.getNode().isBlank()
        ? failed(Status.INVALID_ARGUMENT.withDescription("node is required (an address from status)"))
        : control(Coordinator.ControlAction.DRAIN, in.getNode()).thenApply(ProtoRun::ack));
  }

  @Override
  public CompletionStage<CheckpointList> listCheckpoints(ListCheckpointsRequest in, Metadata md) {
    return checked(in, md, () -> {
      try {
        CheckpointStore store = new CheckpointStore(saveFolder);
        CheckpointList.Builder b = CheckpointList.newBuilder();
        for (long step : store.committedSteps()) {
          b.addCheckpoints(CheckpointInfo.newBuilder().setStep(step)
              .setPath(store.stepDir(step).toString()));
        }
        store.latest().ifPresent(p -> b.setLatest(p.toString()));
        return CompletableFuture.completedFuture(b.build());
      } catch (java.io.IOException e) {
        return failed(Status.INTERNAL.withDescription("cannot list " + saveFolder + ": " + e.getMessage()));
      }
    });
  }

  /** Asks the coordinator; a refusal becomes FAILED_PRECONDITION with the reason. */
  private CompletionStage<ControlReply> control(Coordinator.ControlAction action, String node) {
    return AskPattern.<Coordinator.Command, ControlReply>ask(coordinator,
            r -> new Coordinator.Control(action, node, r), SLOW, system.scheduler())
        .thenCompose(r -> r.refusal() == null ? CompletableFuture.completedFuture(r)
            : failed(Status.FAILED_PRECONDITION.withDescription(r.refusal())));
  }

  private interface Call<T> {
    CompletionStage<T> run();
  }

  private <T> CompletionStage<T> checked(MessageLite in, Metadata md, Call<T> call) {
    StatusRuntime refusal = refusal(in, md);
    return refusal != null ? failed(refusal.status()) : call.run();
  }

  private record StatusRuntime(Status status) {
    GrpcServiceException exception() {
      return new GrpcServiceException(status);
    }
  }

  /** Why the call is refused before anything is done: no or a wrong token, too large. */
  private StatusRuntime refusal(MessageLite in, Metadata md) {
    byte[] given = md.getText("authorization").orElse("").getBytes(StandardCharsets.UTF_8);
    if (!MessageDigest.isEqual(given, expected)) {
      return new StatusRuntime(Status.UNAUTHENTICATED.withDescription(given.length == 0
          ? "a bearer token is required (authorization: Bearer TOKEN)" : "wrong bearer token"));
    }
    if (in.getSerializedSize() > maxRequestBytes) {
      return new StatusRuntime(Status.RESOURCE_EXHAUSTED.withDescription("request of "
          + in.getSerializedSize() + " bytes is larger than control.max_request_bytes = " + maxRequestBytes));
    }
    return null;
  }

  private static <T> CompletionStage<T> failed(Status status) {
    return CompletableFuture.failedFuture(new GrpcServiceException(status));
  }
}
