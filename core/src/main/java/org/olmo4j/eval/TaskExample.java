package org.olmo4j.eval;

import java.util.List;

/**
 * One multiple-choice example of a downstream task: choice k is scored as
 * log P(continuations[k] | contexts[k]); one shared context is repeated for every choice, partial
 * scoring (Winogrande) gives each choice its own context.
 *
 * @param line the 1-based line of the task file it came from (0 when built in memory)
 * @param unconditionalContext nullable: the prefix of pmi_dc's unconditional term
 */
public record TaskExample(int line, List<String> contexts, List<String> continuations, int gold,
    String unconditionalContext) {

  public TaskExample {
    contexts = List.copyOf(contexts);
    continuations = List.copyOf(continuations);
    if (contexts.size() != continuations.size()) {
      throw new IllegalArgumentException(contexts.size() + " contexts for " + continuations.size()
          + " continuations");
    }
  }

  /** An example whose choices share one context. */
  public static TaskExample shared(String context, List<String> continuations, int gold,
      String unconditionalContext) {
    return new TaskExample(0, java.util.Collections.nCopies(continuations.size(), context),
        continuations, gold, unconditionalContext);
  }

  public int choices() {
    return continuations.size();
  }
}
