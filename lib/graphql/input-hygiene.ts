import type { ApolloServerPlugin, BaseContext, GraphQLRequestListener } from '@apollo/server';
import {
  Kind,
  type DirectiveNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import type { Logger } from '../log';
import { clientError, ErrorCode } from './errors';

/**
 * C0 controls but tab, LF and CR; DEL; C1 controls; and, with the `u` flag, a lone surrogate (a
 * well-formed pair is one code point above U+FFFF, outside the class). PostgreSQL refuses NUL in
 * text; the rest is refused because no name, email, id or search a client sends needs it: C1 never
 * occurs in real Unicode text (it is mis-decoded Windows-1252 at best), and U+009B, the 8-bit CSI,
 * is a terminal escape like ESC. One regex scans each string once and allocates nothing.
 */
const REFUSED = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uD800-\uDFFF]/u;

/** Deeper variable values are refused rather than walked, so no input can overflow the stack. */
const MAX_DEPTH = 64;

type Segment = string | number;
interface Finding {
  /** Variable name or argument name first, then the input fields and list indexes inside it. */
  path: Segment[];
  variable: boolean;
  /** The refused code point; undefined when the value is nested deeper than MAX_DEPTH. */
  codePoint?: number;
}

/** Puts `segment` in front of a finding's path: paths are built on the way out, so only a refusal allocates one. */
function within(found: Finding, segment: Segment): Finding {
  found.path.unshift(segment);
  return found;
}

/** The first refused string in a value from the request's variables. */
function inValue(value: unknown, depth: number): Finding | undefined {
  if (typeof value === 'string') {
    const at = value.search(REFUSED);
    return at < 0 ? undefined : { path: [], variable: true, codePoint: value.codePointAt(at) };
  }
  if (typeof value !== 'object' || value === null) return undefined;
  if (depth >= MAX_DEPTH) return { path: [], variable: true };
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const found = inValue(value[index], depth + 1);
      if (found) return within(found, index);
    }
    return undefined;
  }
  for (const key in value) {
    const found = inValue((value as Record<string, unknown>)[key], depth + 1);
    if (found) return within(found, key);
  }
  return undefined;
}

/** The first refused string in a literal (strings, and lists and input objects of them). */
function inLiteral(node: ValueNode): Finding | undefined {
  if (node.kind === Kind.STRING) {
    const at = node.value.search(REFUSED);
    return at < 0 ? undefined : { path: [], variable: false, codePoint: node.value.codePointAt(at) };
  }
  if (node.kind === Kind.LIST) {
    for (let index = 0; index < node.values.length; index++) {
      const found = inLiteral(node.values[index]!);
      if (found) return within(found, index);
    }
  } else if (node.kind === Kind.OBJECT) {
    for (const field of node.fields) {
      const found = inLiteral(field.value);
      if (found) return within(found, field.name.value);
    }
  }
  return undefined;
}

function inArguments(node: { readonly arguments?: readonly { name: { value: string }; value: ValueNode }[] }): Finding | undefined {
  for (const argument of node.arguments ?? []) {
    const found = inLiteral(argument.value);
    if (found) return within(found, argument.name.value);
  }
  return undefined;
}

function inDirectives(directives: readonly DirectiveNode[] | undefined): Finding | undefined {
  for (const directive of directives ?? []) {
    const found = inArguments(directive);
    if (found) return found;
  }
  return undefined;
}

/** Arguments and directive arguments of every field the operation selects, through its fragments. */
function inSelections(selectionSet: SelectionSetNode, fragment: (name: string) => FragmentDefinitionNode | undefined): Finding | undefined {
  for (const selection of selectionSet.selections) {
    let found = inDirectives(selection.directives);
    if (!found && selection.kind === Kind.FIELD) {
      found = inArguments(selection) ?? (selection.selectionSet && inSelections(selection.selectionSet, fragment));
    } else if (!found && selection.kind === Kind.INLINE_FRAGMENT) {
      found = inSelections(selection.selectionSet, fragment);
    } else if (!found && selection.kind === Kind.FRAGMENT_SPREAD) {
      const definition = fragment(selection.name.value);
      found = definition && (inDirectives(definition.directives) ?? inSelections(definition.selectionSet, fragment));
    }
    if (found) return found;
  }
  return undefined;
}

function inOperation(document: DocumentNode, operation: OperationDefinitionNode): Finding | undefined {
  for (const definition of operation.variableDefinitions ?? []) {
    const found = definition.defaultValue && inLiteral(definition.defaultValue);
    if (found) return within({ ...found, variable: true }, definition.variable.name.value);
  }
  // Each fragment once: validation has already refused cycles, but a fragment may be spread twice.
  const seen = new Set<string>();
  const fragment = (name: string) => {
    if (seen.has(name)) return undefined;
    seen.add(name);
    return document.definitions.find(
      (definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION && definition.name.value === name,
    );
  };
  return inDirectives(operation.directives) ?? inSelections(operation.selectionSet, fragment);
}

/** `input.lines[2].name`: how the message and `extensions.argument` name the place. */
function describe(path: Segment[]): string {
  let text = '';
  for (const segment of path) text += typeof segment === 'number' ? `[${segment}]` : text ? `.${segment}` : segment;
  return text;
}

function refusal(finding: Finding) {
  const argument = (finding.variable ? '$' : '') + describe(finding.path);
  const subject = `${finding.variable ? 'Variable' : 'Argument'} "${argument}"`;
  const codePoint = finding.codePoint === undefined ? undefined : `U+${finding.codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
  let message: string;
  if (codePoint === undefined) message = `${subject} is nested deeper than ${MAX_DEPTH} levels.`;
  else if (finding.codePoint! >= 0xd800 && finding.codePoint! <= 0xdfff)
    message = `${subject} contains an unpaired surrogate (${codePoint}), which is not valid Unicode; send well-formed text.`;
  else message = `${subject} contains a control character (${codePoint}); remove it.`;
  return { argument, codePoint, error: clientError(ErrorCode.BAD_USER_INPUT, message, { argument, http: { status: 400 } }) };
}

/**
 * Refuses, with BAD_USER_INPUT and HTTP 400, an operation carrying a NUL byte, another control
 * character or a lone surrogate in any string: in its variables (however deep, `_entities`
 * representations included) or in a string literal among its arguments. PostgreSQL rejects NUL in
 * text, which today surfaces as an internal error; the rest has no place in names, emails, ids or
 * searches and can corrupt logs and terminals. It runs in `didResolveOperation`: before any
 * subgraph fetch at the router, before any resolver at a subgraph.
 */
export function inputHygienePlugin(log: Logger): ApolloServerPlugin<BaseContext> {
  // Apollo reuses the parsed document of a query it has seen, so its literals are walked once.
  const literalFindings = new WeakMap<OperationDefinitionNode, Finding | null>();
  // One listener for every request: it keeps no per-request state.
  const listener: GraphQLRequestListener<BaseContext> = {
    async didResolveOperation({ document, operation, operationName, request }) {
      if (!operation) return; // no operation by that name: execution says so, and runs nothing
      let found = literalFindings.get(operation);
      if (found === undefined) {
        found = inOperation(document, operation) ?? null;
        literalFindings.set(operation, found);
      }
      const variables = request.variables;
      if (!found && variables) {
        for (const name in variables) {
          const inVariable = inValue(variables[name], 0);
          if (inVariable) {
            found = within(inVariable, name);
            break;
          }
        }
      }
      if (!found) return;
      const { argument, codePoint, error } = refusal(found);
      log.warn('refused a control character or unpaired surrogate in the input', {
        argument,
        codePoint: codePoint ?? null,
        operationName: operationName ?? null,
      });
      throw error;
    },
  };
  return { requestDidStart: async () => listener };
}
