import { DefaultRenderer, Listr, ListrDefaultRendererLogLevels, ListrLogger, ProcessOutput, type ListrTask, type SimpleRenderer } from "listr2";

export { chooseRenderer, type RendererChoice } from "./renderer.js";
import type { RendererChoice } from "./renderer.js";

/**
 * listr2's live renderer, allowed when stdout is not a terminal: listr2 falls back to its plain
 * renderer whenever process.stdout is not a TTY unless the renderer class says `nonTTY`
 * (listr2 src/utils/ui/renderer.ts, isRendererSupported), but ours draws on stderr, which is.
 */
class StderrRenderer extends DefaultRenderer {
  static override nonTTY = true;
}

/** Both of listr2's streams on stderr (listr2's ProcessOutput, https://listr2.kilic.dev/renderer/process-output.html). */
function stderrLogger(): ListrLogger {
  return new ListrLogger({ useIcons: true, processOutput: new ProcessOutput(process.stderr, process.stderr) });
}

/**
 * Every lab task list: sequential, output kept under each task, and no signal handlers of
 * listr2's own (Ctrl-C goes through the lab's AbortSignal so steps can stop cleanly).
 */
export type LabTask = ListrTask<unknown, typeof DefaultRenderer, typeof SimpleRenderer>;

export function taskList(tasks: LabTask[], renderer: RendererChoice, options: { exitOnError: boolean }): Listr<unknown, "default", "simple"> {
  const logger = renderer === "silent" ? undefined : stderrLogger();
  return new Listr<unknown, "default", "simple">(
    // persistentOutput is a per-task option in listr2 (the default renderer's task options).
    tasks.map((task) => ({ ...task, rendererOptions: { persistentOutput: true, ...task.rendererOptions } })),
    {
      concurrent: false,
      exitOnError: options.exitOnError,
      registerSignalListeners: false,
      // listr2 types the list by its primary renderer; "simple" and "silent" take the same options here.
      renderer: (renderer === "default" ? StderrRenderer : renderer) as "default",
      // collapseSkips: false keeps a skipped step's title, with the reason under it ("↓ /etc/hosts
      // entries › not changed; …"), as the plain renderer does (listr2's DefaultRenderer options).
      // listr2 marks such a skip ⚠ (a warning); ↓ as in the plain renderer.
      rendererOptions: { ...(logger ? { logger } : {}), collapseSkips: false, icon: { [ListrDefaultRendererLogLevels.SKIPPED_WITHOUT_COLLAPSE]: "↓" } },
      fallbackRenderer: "simple",
      fallbackRendererOptions: logger ? { logger } : {},
    },
  );
}
