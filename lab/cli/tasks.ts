import { Listr, type DefaultRenderer, type ListrTask, type SimpleRenderer } from "listr2";

/** listr2's live view on a terminal; plain lines ("simple") in CI logs and pipes; nothing in tests. */
export type RendererChoice = "default" | "simple" | "silent";

/** A terminal gets listr2's live view; CI logs, pipes and dumb terminals get plain lines. */
export function chooseRenderer(stdout: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): RendererChoice {
  return stdout.isTTY && !env.CI && env.TERM !== "dumb" ? "default" : "simple";
}

/**
 * Every lab task list: sequential, output kept under each task, and no signal handlers of
 * listr2's own (Ctrl-C goes through the lab's AbortSignal so steps can stop cleanly).
 */
export type LabTask = ListrTask<unknown, typeof DefaultRenderer, typeof SimpleRenderer>;

export function taskList(tasks: LabTask[], renderer: RendererChoice, options: { exitOnError: boolean }): Listr<unknown, "default", "simple"> {
  return new Listr<unknown, "default", "simple">(
    // persistentOutput is a per-task option in listr2 (the default renderer's task options).
    tasks.map((task) => ({ ...task, rendererOptions: { persistentOutput: true, ...task.rendererOptions } })),
    {
      concurrent: false,
      exitOnError: options.exitOnError,
      registerSignalListeners: false,
      // listr2 types the list by its primary renderer; "simple" and "silent" take the same options here.
      renderer: renderer as "default",
      fallbackRenderer: "simple",
    },
  );
}
