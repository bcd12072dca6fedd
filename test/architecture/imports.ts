import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/** One source file: what it imports (files of ours, packages by name), and its functions' lengths. */
export interface SourceFile {
  /** Path under src/, e.g. `chat/slack/app.ts`. */
  path: string;
  lines: number;
  /** Files of ours it imports, statically or dynamically, types included. */
  imports: string[];
  /** Packages it imports (`@slack/bolt`, `node:fs`). */
  packages: string[];
  /** Functions and methods with their length in lines. */
  functions: Array<{ name: string; line: number; lines: number }>;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function functionName(node: ts.Node, file: ts.SourceFile): string {
  if ((ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node)) && node.name) return node.name.getText(file);
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const parent = node.parent;
  if (parent && ts.isVariableDeclaration(parent)) return parent.name.getText(file);
  if (parent && ts.isPropertyAssignment(parent)) return parent.name.getText(file);
  return '(anonymous)';
}

/** Read every file under `srcDir` with the TypeScript parser. */
export function readSources(srcDir: string): SourceFile[] {
  return walk(srcDir).map((absolute) => {
    const text = readFileSync(absolute, 'utf8');
    const file = ts.createSourceFile(absolute, text, ts.ScriptTarget.ES2022, true);
    const specifiers: string[] = [];
    const functions: SourceFile['functions'] = [];
    const visit = (node: ts.Node) => {
      if (
        (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
        node.moduleSpecifier &&
        ts.isStringLiteral(node.moduleSpecifier)
      )
        specifiers.push(node.moduleSpecifier.text);
      if (
        ts.isCallExpression(node) &&
        node.expression.kind === ts.SyntaxKind.ImportKeyword &&
        node.arguments[0] &&
        ts.isStringLiteral(node.arguments[0])
      )
        specifiers.push(node.arguments[0].text);
      if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal))
        specifiers.push(node.argument.literal.text);
      if (
        (ts.isFunctionDeclaration(node) ||
          ts.isMethodDeclaration(node) ||
          ts.isArrowFunction(node) ||
          ts.isFunctionExpression(node) ||
          ts.isConstructorDeclaration(node)) &&
        'body' in node &&
        node.body
      ) {
        const start = file.getLineAndCharacterOfPosition(node.getStart(file)).line;
        const end = file.getLineAndCharacterOfPosition(node.getEnd()).line;
        functions.push({ name: functionName(node, file), line: start + 1, lines: end - start + 1 });
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
    const imports: string[] = [];
    const packages: string[] = [];
    for (const spec of specifiers) {
      if (spec.startsWith('.')) imports.push(relative(srcDir, resolve(dirname(absolute), spec.replace(/\.js$/, '.ts'))));
      else packages.push(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
    return { path: relative(srcDir, absolute), lines: text.split('\n').length, imports, packages, functions };
  });
}

/** A file's folder as a unit of the design: `chat/slack`, `alerts/judge`; a file at the root is a unit of its own. */
export function folderOf(path: string): string {
  return path.includes('/') ? dirname(path) : path;
}

/** Strongly connected groups of more than one node (Tarjan): each is an import circle. */
export function circles(edges: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const connect = (node: string) => {
    indices.set(node, index);
    low.set(node, index);
    index++;
    stack.push(node);
    onStack.add(node);
    for (const next of edges.get(node) ?? []) {
      if (!indices.has(next)) {
        connect(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, indices.get(next)!));
    }
    if (low.get(node) === indices.get(node)) {
      const group: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        group.push(member);
      } while (member !== node);
      if (group.length > 1) found.push(group.sort());
    }
  };
  for (const node of edges.keys()) if (!indices.has(node)) connect(node);
  return found;
}

export function fileGraph(files: readonly SourceFile[]): Map<string, Set<string>> {
  return new Map(files.map((f) => [f.path, new Set(f.imports)]));
}

export function folderGraph(files: readonly SourceFile[]): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const f of files) {
    const from = folderOf(f.path);
    const to = graph.get(from) ?? new Set<string>();
    for (const i of f.imports) if (folderOf(i) !== from) to.add(folderOf(i));
    graph.set(from, to);
  }
  return graph;
}
