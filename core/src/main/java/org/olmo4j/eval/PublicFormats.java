package org.olmo4j.eval;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.olmo4j.data.DataException;

/** The record → example conversions of {@link TaskFormat}; each names the field it misses. */
final class PublicFormats {

  private static final String ANSWER = "Answer:";

  private PublicFormats() {}

  /** {@code ctx} (or {@code ctx_a} + {@code ctx_b}), {@code endings}, {@code label}; len_norm in OLMo. */
  static TaskExample hellaswag(JsonNode n, TaskFormat.Record r) {
    String ctx = n.has("ctx") ? text(n, "ctx", r)
        : text(n, "ctx_a", r) + " " + capitalize(text(n, "ctx_b", r));
    if (n.hasNonNull("activity_label")) {
      ctx = text(n, "activity_label", r) + ": " + ctx;
    }
    List<String> endings = new ArrayList<>();
    for (String e : strings(n, "endings", r)) {
      endings.add(" " + hellaswagClean(e));
    }
    return TaskExample.shared(hellaswagClean(ctx), endings, index(n, "label", endings.size(), r), null);
  }

  /** {@code goal}, {@code sol1}, {@code sol2}, {@code label} (or a labels file line). */
  static TaskExample piqa(JsonNode n, TaskFormat.Record r) {
    List<String> sols = List.of(" " + text(n, "sol1", r), " " + text(n, "sol2", r));
    int gold = r.label() != null ? parseIndex(r.label(), "label", 2, r) : index(n, "label", 2, r);
    return TaskExample.shared("Question: " + text(n, "goal", r) + "\nAnswer:", sols, gold, ANSWER);
  }

  /** {@code question.stem}, {@code question.choices[{text, label}]}, {@code answerKey}. */
  static TaskExample arc(JsonNode n, TaskFormat.Record r) {
    JsonNode q = field(n, "question", r);
    return lettered("Question: " + text(q, "stem", r) + "\nAnswer:", field(q, "choices", r),
        text(n, "answerKey", r), r);
  }

  /** {@code question}, {@code distractor1..3}, {@code correct_answer}, optional {@code support}. */
  static TaskExample sciq(JsonNode n, TaskFormat.Record r) {
    String support = n.hasNonNull("support") ? n.get("support").asText().strip() : "";
    String ctx = (support.isEmpty() ? "" : support + "\n") + "Question: " + text(n, "question", r)
        + "\nAnswer:";
    List<String> choices = List.of(" " + text(n, "distractor1", r), " " + text(n, "distractor2", r),
        " " + text(n, "distractor3", r), " " + text(n, "correct_answer", r));
    return TaskExample.shared(ctx, choices, 3, ANSWER);
  }

  /** {@code premise}, {@code choice1}, {@code choice2}, {@code question} (cause|effect), {@code label}. */
  static TaskExample copa(JsonNode n, TaskFormat.Record r) {
    String question = text(n, "question", r);
    String connector = switch (question) {
      case "cause" -> " because";
      case "effect" -> " therefore";
      default -> throw new DataException(r.where() + ": 'question' must be cause or effect, got '"
          + question + "'");
    };
    String premise = text(n, "premise", r).strip();
    if (premise.endsWith(".")) {
      premise = premise.substring(0, premise.length() - 1);
    }
    List<String> choices = List.of(" " + lowerFirst(text(n, "choice1", r)),
        " " + lowerFirst(text(n, "choice2", r)));
    return TaskExample.shared(premise + connector, choices, index(n, "label", 2, r), null);
  }

  /** {@code passage}, {@code question}, {@code answer} (true|false) or {@code label} (1 = yes). */
  static TaskExample boolq(JsonNode n, TaskFormat.Record r) {
    boolean yes;
    if (n.has("answer")) {
      JsonNode a = n.get("answer");
      if (!a.isBoolean()) {
        throw new DataException(r.where() + ": 'answer' must be true or false, got " + a);
      }
      yes = a.asBoolean();
    } else {
      yes = index(n, "label", 2, r) == 1;
    }
    String ctx = text(n, "passage", r) + "\nQuestion: " + text(n, "question", r) + "?\nAnswer:";
    return TaskExample.shared(ctx, List.of(" yes", " no"), yes ? 0 : 1, ANSWER);
  }

  /** HF ({@code question_stem}, {@code choices{text[], label[]}}) or original ({@code question.stem}). */
  static TaskExample openbookqa(JsonNode n, TaskFormat.Record r) {
    if (n.has("question_stem")) {
      JsonNode c = field(n, "choices", r);
      List<String> texts = strings(c, "text", r);
      List<String> labels = strings(c, "label", r);
      int gold = labels.indexOf(text(n, "answerKey", r));
      if (gold < 0) {
        throw new DataException(r.where() + ": answerKey '" + n.get("answerKey").asText()
            + "' is not one of the choice labels " + labels);
      }
      return TaskExample.shared(text(n, "question_stem", r),
          texts.stream().map(t -> " " + t).toList(), gold, ANSWER);
    }
    JsonNode q = field(n, "question", r);
    return lettered(text(q, "stem", r), field(q, "choices", r), text(n, "answerKey", r), r);
  }

  /** {@code sentence} with one {@code _}, {@code option1}, {@code option2}, {@code answer}; partial scoring. */
  static TaskExample winogrande(JsonNode n, TaskFormat.Record r) {
    String sentence = text(n, "sentence", r);
    int blank = sentence.indexOf('_');
    if (blank < 0) {
      throw new DataException(r.where() + ": 'sentence' has no blank '_'");
    }
    String prefix = sentence.substring(0, blank);
    String rest = " " + sentence.substring(blank + 1).strip();
    List<String> contexts = List.of(prefix + text(n, "option1", r), prefix + text(n, "option2", r));
    int gold = parseIndex(text(n, "answer", r), "answer", 3, r) - 1;
    if (gold < 0) {
      throw new DataException(r.where() + ": 'answer' must be 1 or 2, got 0");
    }
    return new TaskExample(r.line(), contexts, List.of(rest, rest), gold, null);
  }

  /** ARC / OpenBookQA choices {@code [{text, label}]} with an answer key A–E or 1–5. */
  private static TaskExample lettered(String ctx, JsonNode choices, String key, TaskFormat.Record r) {
    List<String> texts = new ArrayList<>();
    int gold = -1;
    for (JsonNode c : choices) {
      if (text(c, "label", r).equals(key)) {
        gold = texts.size();
      }
      texts.add(" " + text(c, "text", r));
    }
    if (texts.isEmpty()) {
      throw new DataException(r.where() + ": 'choices' is empty");
    }
    if (gold < 0) {
      throw new DataException(r.where() + ": answerKey '" + key + "' names none of the choices");
    }
    return TaskExample.shared(ctx, texts, gold, ANSWER);
  }

  private static String hellaswagClean(String s) {
    return s.strip().replace(" [title]", ". ").replaceAll("\\[.*?\\]", "").replace("  ", " ");
  }

  private static String capitalize(String s) {
    return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
  }

  private static String lowerFirst(String s) {
    return s.isEmpty() ? s : Character.toLowerCase(s.charAt(0)) + s.substring(1);
  }

  private static JsonNode field(JsonNode n, String name, TaskFormat.Record r) {
    JsonNode v = n.get(name);
    if (v == null || v.isNull()) {
      throw new DataException(r.where() + ": missing field '" + name + "'");
    }
    return v;
  }

  private static String text(JsonNode n, String name, TaskFormat.Record r) {
    JsonNode v = field(n, name, r);
    if (!v.isValueNode()) {
      throw new DataException(r.where() + ": '" + name + "' must be a string, got " + v);
    }
    return v.asText();
  }

  private static List<String> strings(JsonNode n, String name, TaskFormat.Record r) {
    JsonNode v = field(n, name, r);
    if (!v.isArray() || v.isEmpty()) {
      throw new DataException(r.where() + ": '" + name + "' must be a non-empty list, got " + v);
    }
    List<String> out = new ArrayList<>();
    v.forEach(e -> out.add(e.asText()));
    return out;
  }

  private static int index(JsonNode n, String name, int choices, TaskFormat.Record r) {
    return parseIndex(text(n, name, r), name, choices, r);
  }

  private static int parseIndex(String value, String name, int bound, TaskFormat.Record r) {
    int i;
    try {
      i = Integer.parseInt(value.strip());
    } catch (NumberFormatException e) {
      throw new DataException(r.where() + ": '" + name + "' must be an integer, got '" + value + "'");
    }
    if (i < 0 || i >= bound) {
      throw new DataException(r.where() + ": '" + name + "' " + i + " is out of range [0, " + bound + ")");
    }
    return i;
  }
}
