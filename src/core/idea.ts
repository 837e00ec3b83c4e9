/** The title of an idea given only as text: its first sentence, without the full stop, at most 80 characters. */
export function titleFromDescription(description: string): string {
  const first = description.split(/(?<=[.!?])\s/)[0] ?? description;
  return first.length > 80 ? `${first.slice(0, 77)}…` : first.replace(/[.!?]$/, '');
}
