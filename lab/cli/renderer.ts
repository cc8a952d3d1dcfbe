// Which renderer, without loading listr2: lab:status and lab:doctor need the choice, not the list.

/** listr2's live view on a terminal; plain lines ("simple") in CI logs and pipes; nothing in tests. */
export type RendererChoice = "default" | "simple" | "silent";

/**
 * Progress goes to stderr, so stdout carries only results (and exactly one JSON document with
 * --json): a terminal on stderr gets listr2's live view; CI logs, pipes and dumb terminals get
 * plain lines.
 */
export function chooseRenderer(stream: NodeJS.WriteStream = process.stderr, env: NodeJS.ProcessEnv = process.env): RendererChoice {
  return stream.isTTY && !env.CI && env.TERM !== "dumb" ? "default" : "simple";
}
