// Finds every reference to the raw manifest writer in a file (through aliases, namespace
// imports and re-exports, by symbol) and decides, without editing anything, what each one
// becomes: a forced persist through the persister reachable there, or a marker with a reason.
import { Node, SyntaxKind, ts, type CallExpression, type Identifier, type Project, type SourceFile, type Symbol as MorphSymbol } from 'ts-morph';

export type PersisterOptions = {
  /** The module that exports the raw writer (a file path). */
  writerModule: string;
  /** The raw writer's export name. */
  writerExport: string;
  /** The name of the persister's type: values of this type are persisters. */
  persisterType: string;
  /** Target API, method form: `<persister>.<method>(<args>)`. */
  targetMethod: string;
  targetArgs: string;
  /** Target API, function form: `<name>(<persister>, <args>)` imported from `module` (a file path). */
  targetFunction: { name: string; module: string } | null;
  /** Other persister methods whose calls count as migrated sites (e.g. `update`). */
  migratedMethods?: string[];
  /**
   * Function form: which argument of an existing call holds the persister for it to count as
   * migrated (0-based), or 'any' (a wrapper such as `persistManifest(paths, manifest, persister)`).
   */
  persisterArg?: number | 'any';
  /** Files, or directories ending in '/', that implement the persister: never reported, never marked. */
  skip?: string[];
};

export const MARKER_PREFIX = 'codemod-unmigrated(persister)';

export type SiteKind = 'migrated' | 'already-migrated' | 'unmigratable';

export type Site = {
  kind: SiteKind;
  file: string;
  line: number;
  column: number;
  /** migrated: the persister expression used; unmigratable: why not. */
  detail: string;
  /** The text range to edit and its replacement (none for already-migrated sites). */
  edit: { start: number; end: number; text: string } | null;
};

/** The raw writer's symbol, to compare references against. */
export function writerSymbol(project: Project, options: PersisterOptions): MorphSymbol {
  const file = project.getSourceFile(options.writerModule);
  if (!file) throw new Error(`writer module not found: ${options.writerModule}`);
  const declaration = file.getExportedDeclarations().get(options.writerExport)?.[0];
  const symbol = declaration?.getSymbol();
  if (!symbol) throw new Error(`${options.writerModule} does not export '${options.writerExport}'`);
  return symbol;
}

/**
 * Every name a reference to the writer can be spelled with: its own, and each alias an import,
 * a re-export, a default export or an `import x = ns.name` gives it, followed to a fixed point
 * over every file of the program. analyseFile asks the checker about identifiers spelled one of
 * these only: asking it about every identifier of every file was most of the codemod's time.
 */
export function writerNames(project: Project, writer: MorphSymbol, options: PersisterOptions): ReadonlySet<string> {
  const names = new Set<string>([options.writerExport, writer.getName()]);
  const statements = project
    .getProgram()
    .compilerObject.getSourceFiles()
    .flatMap((file) => [...file.statements]);
  const rightmost = (name: ts.EntityName): string => (ts.isIdentifier(name) ? name.text : name.right.text);
  for (let size = -1; size !== names.size;) {
    size = names.size;
    for (const statement of statements) {
      if (ts.isImportDeclaration(statement) && statement.importClause) {
        const { name, namedBindings } = statement.importClause;
        if (name && names.has('default')) names.add(name.text);
        if (namedBindings && ts.isNamedImports(namedBindings))
          for (const element of namedBindings.elements) if (names.has((element.propertyName ?? element.name).text)) names.add(element.name.text);
      } else if (ts.isExportDeclaration(statement) && statement.exportClause && ts.isNamedExports(statement.exportClause)) {
        for (const element of statement.exportClause.elements)
          if (names.has((element.propertyName ?? element.name).text)) names.add(element.name.text);
      } else if (ts.isExportAssignment(statement) && ts.isIdentifier(statement.expression) && names.has(statement.expression.text)) {
        names.add('default');
      } else if (
        ts.isImportEqualsDeclaration(statement) &&
        ts.isEntityName(statement.moduleReference) &&
        names.has(rightmost(statement.moduleReference))
      ) {
        names.add(statement.name.text);
      }
    }
  }
  return names;
}

function resolve(symbol: MorphSymbol | undefined): MorphSymbol | undefined {
  let current = symbol;
  for (let i = 0; current && current.isAlias() && i < 20; i += 1) current = current.getAliasedSymbol();
  return current;
}

function isPersisterType(type: ts.Type, persisterType: string): boolean {
  // Exactly the persister type: an optional (`| undefined`) one is not reachable for sure.
  return (type.aliasSymbol?.getName() ?? type.getSymbol()?.getName()) === persisterType;
}

/** The one persister expression reachable at `node`, or why there is none. */
function findPersister(node: Node, options: PersisterOptions): { expression: string } | { reason: string } {
  const checker = node.getProject().getTypeChecker().compilerObject;
  const file = node.getSourceFile().compilerNode;
  const at = node.compilerNode;
  const locals = checker
    .getSymbolsInScope(at, ts.SymbolFlags.Variable)
    .filter((s) => s.valueDeclaration && s.valueDeclaration.getSourceFile() === file)
    .filter((s) => ts.isParameter(s.valueDeclaration!) || s.valueDeclaration!.getEnd() <= at.getStart());
  const direct = locals.filter((s) => isPersisterType(checker.getTypeOfSymbolAtLocation(s, at), options.persisterType)).map((s) => s.getName());
  if (direct.length === 1) return { expression: direct[0]! };
  if (direct.length > 1) return { reason: `several persisters in scope (${direct.sort().join(', ')})` };

  const fields: string[] = [];
  for (const local of locals) {
    const type = checker.getTypeOfSymbolAtLocation(local, at);
    if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) continue;
    for (const property of type.getProperties()) {
      if (isPersisterType(checker.getTypeOfSymbolAtLocation(property, at), options.persisterType))
        fields.push(`${local.getName()}.${property.getName()}`);
    }
  }
  const owner = node.getFirstAncestor((a) => Node.isClassDeclaration(a) || Node.isClassExpression(a));
  const inMethod = node.getFirstAncestor(
    (a) => Node.isMethodDeclaration(a) || Node.isConstructorDeclaration(a) || Node.isGetAccessorDeclaration(a) || Node.isSetAccessorDeclaration(a),
  );
  if (owner && inMethod) {
    // The instance type: declared fields and constructor parameter properties alike.
    for (const member of checker.getTypeAtLocation(owner.compilerNode).getProperties()) {
      if (isPersisterType(checker.getTypeOfSymbolAtLocation(member, at), options.persisterType)) fields.push(`this.${member.getName()}`);
    }
  }
  if (fields.length === 1) return { expression: fields[0]! };
  if (fields.length > 1) return { reason: `several persisters reachable (${fields.sort().join(', ')})` };
  return { reason: `no ${options.persisterType} reachable here` };
}

/** Whether the node's leading trivia already holds a marker (so a rerun never adds a second). */
function hasMarker(node: Node): boolean {
  return node.getSourceFile().getFullText().slice(node.getPos(), node.getStart()).includes(MARKER_PREFIX);
}

function marker(reason: string): string {
  return `/* ${MARKER_PREFIX}: ${reason} */ `;
}

function replacementCall(persister: string, options: PersisterOptions): string {
  if (options.targetFunction) return `${options.targetFunction.name}(${persister}, ${options.targetArgs})`;
  return `${persister}.${options.targetMethod}(${options.targetArgs})`;
}

/** The callee expression a reference identifier stands for (`save` or `ns.saveManifest`). */
function referenceExpression(id: Identifier): Node {
  const parent = id.getParent();
  if (parent && Node.isPropertyAccessExpression(parent) && parent.getNameNode() === id) return parent;
  return id;
}

function position(node: Node): { line: number; column: number } {
  const { line, character } = node.getSourceFile().compilerNode.getLineAndCharacterOfPosition(node.getStart());
  return { line: line + 1, column: character + 1 };
}

/** Whether `file` (absolute) is one of the skipped files or under a skipped directory. */
export function isSkipped(file: string, skip: string[] | undefined): boolean {
  return (skip ?? []).some((entry) => (entry.endsWith('/') ? file.startsWith(entry) : file === entry));
}

/** `names`: writerNames' spellings of a reference (an identifier spelled otherwise is not one). */
export function analyseFile(sourceFile: SourceFile, writer: MorphSymbol, names: ReadonlySet<string>, options: PersisterOptions): Site[] {
  const sites: Site[] = [];
  const file = sourceFile.getFilePath();
  if (isSkipped(file, options.skip)) return sites;
  const text = sourceFile.getFullText();
  const identifiers = [...names].some((name) => text.includes(name)) ? sourceFile.getDescendantsOfKind(SyntaxKind.Identifier) : [];
  for (const id of identifiers) {
    if (!names.has(id.compilerNode.text)) continue;
    const parent = id.getParent();
    if (!parent) continue;
    if (Node.isImportSpecifier(parent) || Node.isExportSpecifier(parent) || Node.isImportClause(parent) || Node.isNamespaceImport(parent)) continue;
    if (Node.isFunctionDeclaration(parent) && parent.getNameNode() === id) continue;
    if (id.getFirstAncestorByKind(SyntaxKind.TypeQuery)) continue;
    if (resolve(id.getSymbol())?.compilerSymbol !== writer.compilerSymbol) continue;
    const expression = referenceExpression(id);
    const call = expression.getParent();
    const where = position(expression);
    if (call && Node.isCallExpression(call) && call.getExpression() === expression) {
      const found = findPersister(call, options);
      if ('expression' in found) {
        sites.push({
          kind: 'migrated',
          file,
          ...where,
          detail: found.expression,
          edit: { start: call.getStart(), end: call.getEnd(), text: replacementCall(found.expression, options) },
        });
      } else {
        sites.push({
          kind: 'unmigratable',
          file,
          ...where,
          detail: found.reason,
          edit: hasMarker(call) ? null : { start: call.getStart(), end: call.getStart(), text: marker(found.reason) },
        });
      }
      continue;
    }
    const reason = 'the writer is used as a value, not called';
    sites.push({
      kind: 'unmigratable',
      file,
      ...where,
      detail: reason,
      edit: hasMarker(expression) ? null : { start: expression.getStart(), end: expression.getStart(), text: marker(reason) },
    });
  }
  for (const call of sourceFile.getDescendantsOfKind(SyntaxKind.CallExpression)) {
    if (isAlreadyMigrated(call, options))
      sites.push({ kind: 'already-migrated', file, ...position(call), detail: call.getExpression().getText(), edit: null });
  }
  return sites.sort((a, b) => a.line - b.line || a.column - b.column);
}

function isAlreadyMigrated(call: CallExpression, options: PersisterOptions): boolean {
  const callee = call.getExpression();
  if (options.targetFunction) {
    if (!Node.isIdentifier(callee) || callee.getText() !== options.targetFunction.name) return false;
    const position = options.persisterArg ?? 'any';
    const candidates = position === 'any' ? call.getArguments() : call.getArguments().slice(position, position + 1);
    return candidates.some((arg) => isPersisterType(arg.getType().compilerType, options.persisterType));
  }
  return (
    Node.isPropertyAccessExpression(callee) &&
    [options.targetMethod, ...(options.migratedMethods ?? [])].includes(callee.getName()) &&
    isPersisterType(callee.getExpression().getType().compilerType, options.persisterType)
  );
}
