package org.olmo4j.coordinator;

import org.olmo4j.cluster.ClusterMessage;

/**
 * The coordinator's answer to an operator's request: done ({@code refusal} null) with a message
 * and, for checkpoints, the committed step and directory; or refused in this state, and why.
 */
public record ControlReply(String refusal, String message, long step, String path)
    implements ClusterMessage {

  static ControlReply done(String message) {
    return new ControlReply(null, message, -1, null);
  }

  static ControlReply checkpoint(long step, String path) {
    return new ControlReply(null, "checkpoint " + path + " committed", step, path);
  }

  static ControlReply refused(String why) {
    return new ControlReply(why, null, -1, null);
  }
}
