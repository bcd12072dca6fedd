/** Whether `ref` names the account: its numeric id, or its name in any case. */
export function namesAccount(account: { id: string; name: string }, ref: string): boolean {
  const wanted = ref.trim();
  return account.id === wanted || account.name.toLowerCase() === wanted.toLowerCase();
}

/** The account `ref` names, if any — the one way accounts are looked up (config, CLI, chat, jobs). */
export function lookupAccount<T extends { id: string; name: string }>(accounts: readonly T[], ref: string): T | undefined {
  return accounts.find((a) => namesAccount(a, ref));
}
