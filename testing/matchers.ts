/**
 * Custom jest matchers, loaded for every test (jest.config.js `setupFilesAfterEnv`).
 *
 *   expect(response).toHaveErrorCode('FORBIDDEN');
 *   expect(response).toHaveErrorCode('NOT_FOUND', ['order']);
 *
 * `response` is a GraphQL response body (`{ data, errors }`, as the harness's `query` returns). It
 * passes when one of its errors carries that `extensions.code` (and that `path`, when given); the
 * failure message lists every error's code, path and message, which `errors![0]!.extensions!.code`
 * never showed.
 */
interface ResponseLike {
  errors?: readonly { message?: string; path?: readonly (string | number)[]; extensions?: { code?: unknown } }[] | null;
}

declare global {
  namespace jest {
    interface Matchers<R> {
      toHaveErrorCode(code: string, path?: readonly (string | number)[]): R;
    }
  }
}

const describeErrors = (errors: ResponseLike['errors']): string =>
  errors && errors.length > 0
    ? errors.map((error) => `  ${String(error.extensions?.code)} at ${JSON.stringify(error.path ?? [])}: ${error.message}`).join('\n')
    : '  (no errors)';

expect.extend({
  toHaveErrorCode(received: ResponseLike, code: string, path?: readonly (string | number)[]) {
    const errors = received?.errors ?? [];
    const pass = errors.some(
      (error) => error.extensions?.code === code && (path === undefined || JSON.stringify(error.path ?? []) === JSON.stringify(path)),
    );
    const wanted = path === undefined ? code : `${code} at ${JSON.stringify(path)}`;
    return {
      pass,
      message: () =>
        `${this.utils.matcherHint(`${pass ? '.not' : ''}.toHaveErrorCode`)}\n\n` +
        `Expected ${pass ? 'no' : 'an'} error with code ${wanted}; the response has:\n${describeErrors(received?.errors)}`,
    };
  },
});

export {};
