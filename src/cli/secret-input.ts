import { read } from 'read';

/**
 * A secret never has to be on the command line (shell history, `ps`): it comes from a hidden
 * prompt on a terminal, or from standard input with --secret-stdin (one value, trailing newline dropped).
 */
export async function readSecret(label: string, fromStdin: boolean): Promise<string> {
  if (fromStdin) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    const value = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
    if (value.length === 0) throw new Error(`no ${label} on standard input`);
    return value;
  }
  if (!process.stdin.isTTY) throw new Error(`give the ${label} with --secret-stdin, or run in a terminal to be prompted`);
  const value = await read({ prompt: `${label}: `, silent: true, replace: '*', output: process.stderr });
  if (value.length === 0) throw new Error(`empty ${label}`);
  return value;
}
