package org.olmo4j.exchange;

import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.ManagedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.olmo4j.proto.collective.AbortReply;
import org.olmo4j.proto.collective.AbortRequest;
import org.olmo4j.proto.collective.CollectiveGrpc;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Tells every peer of a world over gRPC that it is aborted, and waits briefly for their acks. */
final class AbortBroadcast {

  private static final Logger log = LoggerFactory.getLogger(AbortBroadcast.class);

  private AbortBroadcast() {}

  /**
   * Sends Abort(newGeneration) from {@code rank} on every non-null channel at once; a peer that
   * does not answer within {@code waitMillis} is logged, not waited for.
   */
  static void send(ManagedChannel[] control, int rank, long generation, long newGeneration,
      long waitMillis) {
    AbortRequest request = AbortRequest.newBuilder().setFromRank(rank).setNewGeneration(newGeneration)
        .setGeneration(generation).build();
    List<ListenableFuture<AbortReply>> replies = new ArrayList<>();
    for (ManagedChannel ch : control) {
      if (ch != null) {
        replies.add(CollectiveGrpc.newFutureStub(ch)
            .withDeadlineAfter(waitMillis, TimeUnit.MILLISECONDS).abort(request));
      }
    }
    for (ListenableFuture<AbortReply> reply : replies) {
      try {
        reply.get(waitMillis, TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        log.warn("rank {}: a peer did not acknowledge abort of generation {}: {}", rank, generation,
            e.toString());
      }
    }
  }
}
