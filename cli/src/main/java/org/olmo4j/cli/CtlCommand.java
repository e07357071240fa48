package org.olmo4j.cli;

import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.stream.javadsl.Sink;
import org.olmo4j.control.ControlConnection;
import org.olmo4j.control.ControlEndpoint;
import org.olmo4j.proto.control.CheckpointInfo;
import org.olmo4j.proto.control.Status;
import org.olmo4j.proto.control.WorkerStatus;
import com.google.protobuf.util.JsonFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code olmo4j ctl ACTION --endpoint HOST:PORT}: watch and steer a running run remotely. */
@Command(name = "ctl", mixinStandardHelpOptions = true,
    description = {"Watch and steer a run through its control service.",
        "ACTION: status | watch | pause | resume | save | stop | drain | checkpoints",
        "The token comes from --token-file, else $OLMO4J_CONTROL_TOKEN, else "
            + "SAVE_FOLDER/control.token via --save-folder.",
        "Exit codes: 0 done, 3 refused in this state (FAILED_PRECONDITION), 4 unauthenticated, "
            + "5 unreachable or other errors."})
final class CtlCommand implements Callable<Integer> {

  @Parameters(index = "0", description = "status, watch, pause, resume, save, stop, drain, checkpoints")
  String action;

  @Option(names = "--endpoint", required = true, description = "HOST:PORT of the control service")
  String endpoint;

  @Option(names = "--token-file", description = "file holding the bearer token")
  Path tokenFile;

  @Option(names = "--save-folder", description = "the run's save folder (its control.token)")
  Path saveFolder;

  @Option(names = "--node", description = "for drain: the node's address as status lists it")
  String node;

  @Option(names = "--tls", description = "connect with TLS (the JVM's trust store must trust the server)")
  boolean tls;

  @Option(names = "--trust-store", description = "with --tls: PKCS#12 trust store holding the server's "
      + "certificate (password from $OLMO4J_TRUST_STORE_PASSWORD)")
  Path trustStore;

  @Option(names = "--count", defaultValue = "0", description = "for watch: stop after N events (0: until the run ends)")
  long count;

  @Override
  public Integer call() throws Exception {
    ControlEndpoint at = ControlEndpoint.parse(endpoint, tls);
    try (ControlConnection c = new ControlConnection(at.host(), at.port(), token(), tls, trustStore,
        System.getenv("OLMO4J_TRUST_STORE_PASSWORD"))) {
      return run(c);
    } catch (StatusRuntimeException e) {
      System.err.println("refused: " + e.getStatus().getCode() + ": " + e.getStatus().getDescription());
      return switch (e.getStatus().getCode()) {
        case FAILED_PRECONDITION -> 3;
        case UNAUTHENTICATED -> 4;
        default -> 5;
      };
    }
  }

  private int run(ControlConnection c) throws Exception {
    JsonFormat.Printer json = JsonFormat.printer().omittingInsignificantWhitespace();
    switch (action) {
      case "status" -> {
        Status s = c.status();
        printStatus(s);
        System.out.println(json.print(s));
      }
      case "watch" -> {
        var events = c.watch();
        var done = (count > 0 ? events.take(count) : events)
            .runWith(Sink.foreach(e -> System.out.println(json.print(e))), c.system());
        done.toCompletableFuture().get(count > 0 ? 60 : Long.MAX_VALUE / 2, TimeUnit.MINUTES);
      }
      case "pause" -> System.out.println(c.pause().getMessage());
      case "resume" -> System.out.println(c.resume().getMessage());
      case "save" -> printCheckpoint(c.save());
      case "stop" -> printCheckpoint(c.stop());
      case "drain" -> {
        if (node == null) {
          throw new IllegalArgumentException("drain needs --node ADDRESS (see ctl status)");
        }
        System.out.println(c.drain(node).getMessage());
      }
      case "checkpoints" -> {
        var list = c.checkpoints();
        list.getCheckpointsList().forEach(k -> System.out.println(k.getStep() + "\t" + k.getPath()));
        System.out.println("latest\t" + list.getLatest());
      }
      default -> throw new IllegalArgumentException("unknown action '" + action
          + "': status, watch, pause, resume, save, stop, drain, checkpoints");
    }
    return 0;
  }

  private static void printStatus(Status s) {
    System.out.printf("%s: step %d/%d, loss %.4f, %.0f tok/s, mfu %.2f, ETA %.0f s, generation %d%n",
        s.getState(), s.getStep(), s.getMaxSteps(), s.getLoss(), s.getTokensPerSecond(), s.getMfu(),
        s.getEtaSeconds(), s.getGeneration());
    System.out.println("coordinator " + s.getCoordinatorNode() + "; last checkpoint "
        + (s.getLastCheckpoint().isEmpty() ? "none" : s.getLastCheckpoint()));
    if (s.getCheckpointFailures() > 0) {
      System.out.printf("checkpoint failures: %d; the newest, step %d: %s%n",
          s.getCheckpointFailures(), s.getCheckpointFailedStep(), s.getCheckpointFailedError());
    }
    for (WorkerStatus w : s.getWorkersList()) {
      System.out.printf("  rank %2d  %-8s step %s  compute %s  wait %s  %s #%d%n", w.getRank(),
          w.getState(), seconds(w.getStepSeconds()), seconds(w.getComputeSeconds()),
          seconds(w.getWaitSeconds()), w.getNode(), w.getLocalIndex());
    }
    if (s.getSlowestRank() >= 0) {
      System.out.printf(Locale.ROOT, "  slowest rank %d on %s: compute %.2fx the median of the "
          + "other ranks (medians of the last %d steps)%n", s.getSlowestRank(), s.getSlowestNode(),
          s.getSlowestRatio(), s.getWindowSteps());
    }
  }

  /** A median time as the status prints it: seconds, or "-" before the rank's first step. */
  private static String seconds(double v) {
    return Double.isNaN(v) ? "     -  " : String.format(Locale.ROOT, "%6.3fs", v);
  }

  private static void printCheckpoint(CheckpointInfo k) {
    System.out.println(k.getPath().isEmpty() ? "stopped (no checkpoint)"
        : "committed step " + k.getStep() + ": " + k.getPath());
  }

  private String token() throws java.io.IOException {
    if (tokenFile != null) {
      return Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
    }
    String env = System.getenv("OLMO4J_CONTROL_TOKEN");
    if (env != null && !env.isBlank()) {
      return env.strip();
    }
    if (saveFolder != null && Files.exists(saveFolder.resolve("control.token"))) {
      return Files.readString(saveFolder.resolve("control.token"), StandardCharsets.UTF_8).strip();
    }
    return null;
  }
}
