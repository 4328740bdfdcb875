import { describe, expect, it } from 'vitest';
import { exceptionLine } from '../../src/domain/exception-line.js';

describe('exceptionLine', () => {
  it('takes the last unindented line of a Python traceback', () => {
    const text = [
      'Traceback (most recent call last):',
      '  File "/app/main.py", line 3, in <module>',
      '    from shared.utils import x',
      "ModuleNotFoundError: No module named 'shared'",
    ].join('\n');
    expect(exceptionLine(text)).toBe("ModuleNotFoundError: No module named 'shared'");
  });

  it('takes the final exception of a chained Python traceback', () => {
    const text = [
      'Traceback (most recent call last):',
      '  File "a.py", line 1, in <module>',
      "KeyError: 'game_id'",
      '',
      'During handling of the above exception, another exception occurred:',
      '',
      'Traceback (most recent call last):',
      '  File "a.py", line 4, in <module>',
      'RuntimeError: cannot load boxscores',
    ].join('\n');
    expect(exceptionLine(text)).toBe('RuntimeError: cannot load boxscores');
  });

  it('takes the exception line of a Node stack, not the source excerpt above it', () => {
    const text = [
      '/app/index.js:12',
      '  client.run();',
      '         ^',
      '',
      'TypeError: client.run is not a function',
      '    at Object.<anonymous> (/app/index.js:12:10)',
      '    at Module._compile (node:internal/modules/cjs/loader:1554:14)',
    ].join('\n');
    expect(exceptionLine(text)).toBe('TypeError: client.run is not a function');
  });

  it('takes a Java exception with its root cause', () => {
    const text = [
      'Exception in thread "main" java.lang.IllegalStateException: boot failed',
      '\tat com.example.App.main(App.java:10)',
      'Caused by: java.io.IOException: wrapped',
      '\tat com.example.Io.read(Io.java:3)',
      '\t... 1 more',
      'Caused by: java.io.FileNotFoundException: /etc/app.conf',
      '\t... 2 more',
    ].join('\n');
    expect(exceptionLine(text)).toBe(
      'Exception in thread "main" java.lang.IllegalStateException: boot failed ← caused by java.io.FileNotFoundException: /etc/app.conf',
    );
  });

  it('keeps a one-line error as it is and skips leading blank lines', () => {
    expect(exceptionLine('\n  HealthChecker failed: connection refused  \nmore')).toBe(
      'HealthChecker failed: connection refused',
    );
  });
});
