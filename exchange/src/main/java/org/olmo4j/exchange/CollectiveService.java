package org.olmo4j.exchange;

import io.grpc.stub.StreamObserver;
import org.olmo4j.proto.collective.AbortReply;
import org.olmo4j.proto.collective.AbortRequest;
import org.olmo4j.proto.collective.CollectiveGrpc;
import org.olmo4j.proto.collective.HelloReply;
import org.olmo4j.proto.collective.HelloRequest;

/** gRPC edge of an {@link ExchangeServer}: answers Hello and Abort from the other ranks. */
final class CollectiveService extends CollectiveGrpc.CollectiveImplBase {

  private final ExchangeServer server;

  CollectiveService(ExchangeServer server) {
    this.server = server;
  }

  @Override
  public void hello(HelloRequest request, StreamObserver<HelloReply> response) {
    response.onNext(answer(request));
    response.onCompleted();
  }

  private HelloReply answer(HelloRequest request) {
    NetworkExchange w = server.current();
    HelloReply.Builder reply = HelloReply.newBuilder();
    if (server.lastGeneration() > request.getGeneration()) {
      return reply.setStatus(HelloReply.Status.STALE_GENERATION)
          .setGeneration(server.lastGeneration()).build();
    }
    if (w == null || w.generation() < request.getGeneration()) {
      return reply.setStatus(HelloReply.Status.NOT_YET_JOINED).build();
    }
    String error = null;
    if (request.getWorldSize() != w.worldSize()) {
      error = "expected world size " + w.worldSize() + ", got " + request.getWorldSize();
    } else if (request.getRank() < 0 || request.getRank() >= w.worldSize()
        || request.getRank() == w.rank()) {
      error = "expected a peer rank in 0.." + (w.worldSize() - 1) + " other than " + w.rank()
          + ", got " + request.getRank();
    }
    if (error != null) {
      return reply.setStatus(HelloReply.Status.REJECTED).setError(error).build();
    }
    HelloRequest mine = server.helloFrom(w.rank(), w.worldSize(), w.generation());
    return reply.setStatus(HelloReply.Status.READY).setRank(mine.getRank())
        .setWorldSize(mine.getWorldSize()).setGeneration(mine.getGeneration())
        .addAllDtypes(mine.getDtypesList()).setBulkEndpoint(mine.getBulkEndpoint())
        .setUnixBulkPath(mine.getUnixBulkPath()).setHostId(mine.getHostId()).build();
  }

  @Override
  public void abort(AbortRequest request, StreamObserver<AbortReply> response) {
    NetworkExchange w = server.current();
    long aborted = -1;
    // Only the world the sender was in: a newer one the sender never joined goes on.
    if (w != null && w.generation() == request.getGeneration()
        && w.generation() < request.getNewGeneration()) {
      w.abortFromPeer(request.getNewGeneration(), request.getFromRank());
      aborted = w.generation();
    }
    response.onNext(AbortReply.newBuilder().setAbortedGeneration(aborted).build());
    response.onCompleted();
  }
}
