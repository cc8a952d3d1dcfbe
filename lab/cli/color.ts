import { styleText } from "node:util";

/**
 * Colour decided per stream, by Node: util.styleText(format, text, { stream }) leaves the text
 * plain unless that stream is a terminal that takes colour, and honours NO_COLOR,
 * NODE_DISABLE_COLORS and FORCE_COLOR (https://nodejs.org/api/util.html#utilstyletextformat-text-options,
 * since Node 22.13, package.json's "engines"). Pass the stream the text is printed to: an error
 * line goes to stderr, which may be a terminal while stdout is a pipe, or the other way round.
 */
type Painter = (text: string, stream?: NodeJS.WritableStream) => string;

const paint =
  (format: "red" | "green" | "yellow" | "bold" | "dim"): Painter =>
  (text, stream = process.stdout) =>
    styleText(format, text, { stream });

export const red = paint("red");
export const green = paint("green");
export const yellow = paint("yellow");
export const bold = paint("bold");
export const dim = paint("dim");
