/**
 * Asks a yes/no question on the terminal. Only called when stdin and stdout are a TTY. readline
 * is loaded here, when a question is asked: most runs never ask one.
 */
export async function confirm(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await rl.question(question);
    return /^(y|yes)$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
