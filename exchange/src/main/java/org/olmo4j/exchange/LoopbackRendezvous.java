package org.olmo4j.exchange;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.olmo4j.train.ChildJvm;

/**
 * A tiny rendezvous for worlds of JVMs on 127.0.0.1 (tests and benchmarks; the coordinator does
 * this in production): each child prints {@code CONTROL <port>}, the parent (rank 0) answers with
 * {@code WORLD <rank> <generation> <port,port,...>} on the child's stdin.
 */
public final class LoopbackRendezvous {

  public static final String HOST = "127.0.0.1";

  private LoopbackRendezvous() {}

  /** Starts a JVM running {@code mainClass} with this JVM's class path. */
  public static Process spawn(String mainClass, List<String> jvmArgs, List<String> args) throws IOException {
    return new ProcessBuilder(ChildJvm.command(jvmArgs, mainClass, args))
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
  }

  /** Parent side: reads every child's port, sends each its rank; returns the endpoints, rank order. */
  public static List<InetSocketAddress> formWorld(ExchangeServer own, List<Process> children,
      List<BufferedReader> outputs, long generation) throws IOException {
    return formWorld(own.controlAddress(), children, outputs, generation);
  }

  /** Parent side for a world of children only: child i is rank i. */
  public static List<InetSocketAddress> formWorldOfChildren(List<Process> children,
      List<BufferedReader> outputs, long generation) throws IOException {
    List<InetSocketAddress> endpoints = new ArrayList<>();
    for (int i = 0; i < children.size(); i++) {
      BufferedReader out = outputs.get(i);
      String line = out.readLine();
      while (line != null && !line.startsWith("CONTROL ")) {
        System.err.println("[rank " + i + "] " + line);
        line = out.readLine();
      }
      if (line == null) {
        throw new IOException("rank " + i + " exited before announcing its endpoint");
      }
      endpoints.add(new InetSocketAddress(HOST, Integer.parseInt(line.substring(8).trim())));
      drain(out, i);
    }
    String ports = String.join(",", endpoints.stream().map(a -> String.valueOf(a.getPort())).toList());
    for (int i = 0; i < children.size(); i++) {
      PrintStream in = new PrintStream(children.get(i).getOutputStream(), true, StandardCharsets.UTF_8);
      in.println("WORLD " + i + " " + generation + " " + ports);
    }
    return endpoints;
  }

  /** As above, with rank 0 listening on {@code own}. */
  public static List<InetSocketAddress> formWorld(InetSocketAddress own, List<Process> children,
      List<BufferedReader> outputs, long generation) throws IOException {
    List<InetSocketAddress> endpoints = new ArrayList<>();
    endpoints.add(own);
    for (int i = 0; i < children.size(); i++) {
      BufferedReader out = outputs.get(i);
      String line = out.readLine();
      while (line != null && !line.startsWith("CONTROL ")) {
        System.err.println("[child " + (i + 1) + "] " + line); // e.g. logging on stdout
        line = out.readLine();
      }
      if (line == null) {
        throw new IOException("child " + (i + 1) + " exited before announcing its endpoint");
      }
      endpoints.add(new InetSocketAddress(HOST, Integer.parseInt(line.substring(8).trim())));
      drain(out, i + 1);
    }
    StringBuilder ports = new StringBuilder();
    for (InetSocketAddress a : endpoints) {
      ports.append(ports.length() == 0 ? "" : ",").append(a.getPort());
    }
    for (int i = 0; i < children.size(); i++) {
      PrintStream in = new PrintStream(children.get(i).getOutputStream(), true, StandardCharsets.UTF_8);
      in.println("WORLD " + (i + 1) + " " + generation + " " + ports);
    }
    return endpoints;
  }

  /** Forwards the rest of a child's stdout to stderr, so that a full pipe never blocks it. */
  private static void drain(BufferedReader out, int child) {
    Thread t = new Thread(() -> {
      try {
        for (String l = out.readLine(); l != null; l = out.readLine()) {
          System.err.println("[child " + child + "] " + l);
        }
      } catch (IOException ignored) {
        // The child is gone.
      }
    }, "child-" + child + "-stdout");
    t.setDaemon(true);
    t.start();
  }

  public static BufferedReader output(Process p) {
    return new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
  }

  /** A child's place in the world, as told by the parent. */
  public record World(int rank, long generation, List<InetSocketAddress> endpoints) {}

  /** Child side: announces {@code port} on stdout and reads its world from stdin. */
  public static World announceAndReadWorld(int port) throws IOException {
    System.out.println("CONTROL " + port);
    System.out.flush();
    BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line = stdin.readLine();
    if (line == null || !line.startsWith("WORLD ")) {
      throw new IOException("expected 'WORLD <rank> <generation> <ports>' on stdin, got " + line);
    }
    String[] f = line.split(" ");
    List<InetSocketAddress> endpoints = new ArrayList<>();
    for (String p : f[3].split(",")) {
      endpoints.add(new InetSocketAddress(HOST, Integer.parseInt(p)));
    }
    return new World(Integer.parseInt(f[1]), Long.parseLong(f[2]), endpoints);
  }

  /** Child side: announces the server's port on stdout and joins the world read from stdin. */
  public static NetworkExchange joinAsChild(ExchangeServer server, ExchangeOptions options) throws IOException {
    World w = announceAndReadWorld(server.controlAddress().getPort());
    return server.join(w.rank(), w.generation(), w.endpoints(), options);
  }
}
