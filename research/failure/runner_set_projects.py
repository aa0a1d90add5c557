"""The small failing projects of the runner set: five real failures per tool, each different.

Each project is the smallest code a team would have for that tool (a module and its tests, a
lint configuration and a few files) with one real mistake of a different kind: a wrong
assertion, an exception, a failing hook, several failures at once, a broken import. Read by
``runner_set_build.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Project:
    name: str
    tool: str
    command: str
    failure_type: str
    what: str
    files: dict[str, str]
    env: dict[str, str] = field(default_factory=dict)
    link_node: bool = False


PROJECTS: list[Project] = []


def add(tool: str, command: str, failure_type: str, *cases: tuple[str, dict[str, str]],
        env: dict[str, str] | None = None, link_node: bool = False,
        commands: tuple[str, ...] = ()) -> None:  # fmt: skip
    for index, (what, files) in enumerate(cases, start=1):
        run = commands[index - 1] if commands else command
        PROJECTS.append(
            Project(
                f"{tool}-{index}", tool, run, failure_type, what, files, dict(env or {}), link_node
            )
        )


# --- pytest ------------------------------------------------------------------------------------
_CALC = "def add(a, b):\n    return a + b\n\n\ndef div(a, b):\n    return a / b\n"
add(
    "pytest", "python -m pytest", "test_failure",
    ("wrong expected value", {"calc.py": _CALC, "tests/test_calc.py":
        "from calc import add\n\n\ndef test_add():\n    assert add(2, 2) == 5\n\n\n"
        "def test_add_zero():\n    assert add(0, 3) == 3\n", "conftest.py": ""}),
    ("exception in the code", {"calc.py": _CALC, "conftest.py": "", "tests/test_div.py":
        "import pytest\nfrom calc import div\n\n\n@pytest.mark.parametrize('a,b', [(4, 2), (1, 0)])"
        "\ndef test_div(a, b):\n    assert div(a, b) * b == a\n"}),
    ("fixture error at setup", {"calc.py": _CALC, "conftest.py":
        "import json\nimport pytest\n\n\n@pytest.fixture\ndef settings(tmp_path):\n"
        "    return json.loads((tmp_path / 'settings.json').read_text())\n",
        "tests/test_settings.py": "def test_settings(settings):\n    assert settings['x'] == 1\n"}),
    ("two files failing, dict diff", {"calc.py": _CALC, "conftest.py": "", "tests/test_a.py":
        "def test_config():\n    assert {'a': 1, 'b': 2} == {'a': 1, 'b': 3}\n",
        "tests/test_b.py": "from calc import add\n\n\ndef test_strings():\n"
        "    assert add('a', 'b') == 'ba'\n"}),
    ("pytest.raises that does not raise", {"calc.py": _CALC, "conftest.py": "",
        "tests/test_raise.py": "import pytest\nfrom calc import div\n\n\ndef test_div_zero():\n"
        "    with pytest.raises(ValueError):\n        div(1.0, 2)\n"}),
    commands=("python -m pytest", "python -m pytest -v", "python -m pytest -q",
              "python -m pytest -x --tb=short", "python -m pytest -ra"),
)  # fmt: skip

# --- unittest ----------------------------------------------------------------------------------
_STRINGS = "def shout(s):\n    return s.upper() + '!'\n\n\ndef words(s):\n    return s.split(',')\n"
add(
    "unittest", "python -m unittest discover -v", "test_failure",
    ("assertEqual", {"strings.py": _STRINGS, "test_strings.py":
        "import unittest\nfrom strings import shout\n\n\nclass TestShout(unittest.TestCase):\n"
        "    def test_shout(self):\n        self.assertEqual(shout('hi'), 'HI')\n\n"
        "    def test_empty(self):\n        self.assertEqual(shout(''), '!')\n"}),
    ("error in code", {"strings.py": _STRINGS, "test_words.py":
        "import unittest\nfrom strings import words\n\n\nclass TestWords(unittest.TestCase):\n"
        "    def test_none(self):\n        self.assertEqual(words(None), [])\n"}),
    ("setUp fails", {"strings.py": _STRINGS, "test_setup.py":
        "import unittest\n\n\nclass TestFile(unittest.TestCase):\n    def setUp(self):\n"
        "        self.data = open('fixtures/data.txt').read()\n\n    def test_data(self):\n"
        "        self.assertTrue(self.data)\n"}),
    ("subTest failures", {"strings.py": _STRINGS, "test_sub.py":
        "import unittest\nfrom strings import words\n\n\nclass TestSplit(unittest.TestCase):\n"
        "    def test_many(self):\n        for text, n in [('a,b', 2), ('a, b,c', 2), ('', 0)]:\n"
        "            with self.subTest(text=text):\n"
        "                self.assertEqual(len(words(text)), n)\n"}),
    ("assertIn and assertTrue", {"strings.py": _STRINGS, "tests/__init__.py": "",
        "tests/test_more.py": "import unittest\nfrom strings import shout, words\n\n\n"
        "class TestMore(unittest.TestCase):\n    def test_in(self):\n"
        "        self.assertIn('c', words('a,b'))\n\n    def test_true(self):\n"
        "        self.assertTrue(shout('x').endswith('?'), 'shout must ask')\n"}),
    commands=("python -m unittest discover -v", "python -m unittest", "python -m unittest -v",
              "python -m unittest discover", "python -m unittest discover -s . -p 'test_*.py'"),
)  # fmt: skip

# --- JavaScript test runners -------------------------------------------------------------------
_JS_SUM = (
    "function sum(a, b) { return a + b; }\nfunction parse(s) { return JSON.parse(s).value; }\n"
)
_CJS = _JS_SUM + "module.exports = { sum, parse };\n"
_ESM = _JS_SUM + "export { sum, parse };\n"
_PKG_CJS = '{"name": "app", "version": "1.0.0", "private": true}\n'
_PKG_ESM = '{"name": "app", "version": "1.0.0", "private": true, "type": "module"}\n'

add(
    "jest", "npx jest", "test_failure",
    ("toBe", {"package.json": _PKG_CJS, "src/sum.js": _CJS, "src/sum.test.js":
        "const { sum } = require('./sum');\n\ndescribe('sum', () => {\n"
        "  test('adds', () => {\n    expect(sum(1, 2)).toBe(4);\n  });\n"
        "  test('zero', () => {\n    expect(sum(0, 0)).toBe(0);\n  });\n});\n"}),
    ("thrown error", {"package.json": _PKG_CJS, "src/sum.js": _CJS, "src/parse.test.js":
        "const { parse } = require('./sum');\n\ntest('parses', () => {\n"
        "  expect(parse('{value: 1}')).toBe(1);\n});\n"}),
    ("toEqual object", {"package.json": _PKG_CJS, "src/sum.js": _CJS, "src/obj.test.js":
        "test('config', () => {\n  const config = { retries: 3, verbose: false };\n"
        "  expect(config).toEqual({ retries: 2, verbose: false });\n});\n"}),
    ("async rejection", {"package.json": _PKG_CJS, "src/sum.js": _CJS, "src/async.test.js":
        "const load = async () => { throw new Error('fixture missing: users.json'); };\n\n"
        "describe('loader', () => {\n  it('loads users', async () => {\n"
        "    const users = await load();\n    expect(users).toHaveLength(2);\n  });\n});\n"}),
    ("two files, one broken import", {"package.json": _PKG_CJS, "src/sum.js": _CJS,
        "src/a.test.js": "const { sum } = require('./sum');\ntest('a', () => {\n"
        "  expect(sum(2, 2)).toBeGreaterThan(4);\n});\n",
        "src/b.test.js": "const { sum } = require('./sum');\ntest('b', () => {\n"
        "  expect([sum(1, 1)]).toContain(3);\n});\n"}),
    link_node=True, env={"FORCE_COLOR": "0"},
    commands=("npx jest", "npx jest --ci", "npx jest --ci --verbose", "npx jest", "npx jest --ci"),
)  # fmt: skip

add(
    "vitest", "npx vitest run", "test_failure",
    ("toBe", {"package.json": _PKG_ESM, "src/sum.js": _ESM, "src/sum.test.js":
        "import { describe, it, expect } from 'vitest';\nimport { sum } from './sum.js';\n\n"
        "describe('sum', () => {\n  it('adds', () => {\n    expect(sum(1, 2)).toBe(4);\n"
        "  });\n});\n"}),
    ("thrown error", {"package.json": _PKG_ESM, "src/sum.js": _ESM, "src/parse.test.js":
        "import { test, expect } from 'vitest';\nimport { parse } from './sum.js';\n\n"
        "test('parses', () => {\n  expect(parse('{value: 1}')).toBe(1);\n});\n"}),
    ("toEqual object", {"package.json": _PKG_ESM, "src/sum.js": _ESM, "src/obj.test.js":
        "import { test, expect } from 'vitest';\n\ntest('config', () => {\n"
        "  expect({ retries: 3, verbose: false }).toEqual({ retries: 2, verbose: false });\n"
        "});\n"}),
    ("missing export", {"package.json": _PKG_ESM, "src/sum.js": _ESM, "src/mul.test.js":
        "import { test, expect } from 'vitest';\nimport { mul } from './sum.js';\n\n"
        "test('multiplies', () => {\n  expect(mul(2, 3)).toBe(6);\n});\n"}),
    ("two failing files", {"package.json": _PKG_ESM, "src/sum.js": _ESM, "src/a.test.js":
        "import { test, expect } from 'vitest';\nimport { sum } from './sum.js';\n"
        "test('a', () => { expect(sum(2, 2)).toBeGreaterThan(4); });\n",
        "src/b.test.js": "import { test, expect } from 'vitest';\n"
        "test('b', () => { expect([1, 2]).toContain(3); });\n"}),
    link_node=True,
    commands=("npx vitest run", "npx vitest run", "npx vitest --run --reporter=verbose",
              "npx vitest run", "npx vitest run --reporter=dot"),
)  # fmt: skip

add(
    "mocha", "npx mocha", "test_failure",
    ("strictEqual", {"package.json": _PKG_CJS, "lib/sum.js": _CJS, "test/sum.spec.js":
        "const assert = require('assert');\nconst { sum } = require('../lib/sum');\n\n"
        "describe('sum', function () {\n  it('adds', function () {\n"
        "    assert.strictEqual(sum(1, 2), 4);\n  });\n});\n"}),
    ("thrown TypeError", {"package.json": _PKG_CJS, "lib/sum.js": _CJS, "test/parse.spec.js":
        "const assert = require('assert');\n\ndescribe('user', function () {\n"
        "  it('reads the name', function () {\n    const user = undefined;\n"
        "    assert.equal(user.name, 'ann');\n  });\n});\n"}),
    ("deepStrictEqual", {"package.json": _PKG_CJS, "lib/sum.js": _CJS, "test/obj.spec.js":
        "const assert = require('node:assert/strict');\n\ndescribe('config', () => {\n"
        "  it('has defaults', () => {\n"
        "    assert.deepEqual({ retries: 3, verbose: false }, { retries: 2, verbose: false });\n"
        "  });\n});\n"}),
    ("before hook fails", {"package.json": _PKG_CJS, "lib/sum.js": _CJS, "test/hook.spec.js":
        "const fs = require('fs');\nconst assert = require('assert');\n\n"
        "describe('db', function () {\n  let rows;\n  before(function () {\n"
        "    rows = JSON.parse(fs.readFileSync('test/fixtures/rows.json', 'utf8'));\n  });\n"
        "  it('has rows', function () {\n    assert.ok(rows.length);\n  });\n});\n"}),
    ("two failures", {"package.json": _PKG_CJS, "lib/sum.js": _CJS, "test/a.spec.js":
        "const assert = require('assert');\nconst { sum } = require('../lib/sum');\n"
        "describe('a', () => {\n  it('big', () => { assert.ok(sum(2, 2) > 4, 'sum too small'); });\n"
        "  it('string', () => { assert.equal(sum('1', 1), 2); });\n});\n"}),
    link_node=True,
    commands=("npx mocha", "npx mocha --reporter spec", "npx mocha", "npx mocha",
              "npx mocha --reporter dot"),
)  # fmt: skip

add(
    "ava", "npx ava", "test_failure",
    ("t.is", {"package.json": _PKG_ESM, "sum.js": _ESM, "test.js":
        "import test from 'ava';\nimport { sum } from './sum.js';\n\n"
        "test('adds', t => {\n  t.is(sum(1, 2), 4);\n});\n\ntest('zero', t => {\n"
        "  t.is(sum(0, 0), 0);\n});\n"}),
    ("thrown error", {"package.json": _PKG_ESM, "sum.js": _ESM, "test.js":
        "import test from 'ava';\nimport { parse } from './sum.js';\n\n"
        "test('parses', t => {\n  t.is(parse('{value: 1}'), 1);\n});\n"}),
    ("deepEqual", {"package.json": _PKG_ESM, "sum.js": _ESM, "test/config.js":
        "import test from 'ava';\n\ntest('config', t => {\n"
        "  t.deepEqual({ retries: 3, verbose: false }, { retries: 2, verbose: false });\n});\n"}),
    ("t.throws that does not throw", {"package.json": _PKG_ESM, "sum.js": _ESM, "test.js":
        "import test from 'ava';\nimport { sum } from './sum.js';\n\n"
        "test('rejects strings', t => {\n  t.throws(() => sum('a', 1));\n});\n"}),
    ("two failures", {"package.json": _PKG_ESM, "sum.js": _ESM, "test.js":
        "import test from 'ava';\nimport { sum } from './sum.js';\n\n"
        "test('big', t => {\n  t.true(sum(2, 2) > 4);\n});\n\n"
        "test('string', t => {\n  t.is(sum('1', 1), 2);\n});\n"}),
    link_node=True,
    commands=("npx ava", "npx ava --verbose", "npx ava", "npx ava --tap", "npx ava"),
)  # fmt: skip

add(
    "tap", "npx tap", "test_failure",
    ("t.equal", {"package.json": _PKG_CJS, "sum.js": _CJS, "test/sum.js":
        "const t = require('tap');\nconst { sum } = require('../sum');\n\n"
        "t.test('adds', async t => {\n  t.equal(sum(1, 2), 4);\n});\n"}),
    ("thrown error", {"package.json": _PKG_CJS, "sum.js": _CJS, "test/parse.js":
        "const t = require('tap');\nconst { parse } = require('../sum');\n\n"
        "t.test('parses', async t => {\n  t.equal(parse('{value: 1}'), 1);\n});\n"}),
    ("same object", {"package.json": _PKG_CJS, "sum.js": _CJS, "test/config.js":
        "const t = require('tap');\n\nt.test('config', async t => {\n"
        "  t.same({ retries: 3, verbose: false }, { retries: 2, verbose: false });\n});\n"}),
    ("t.ok", {"package.json": _PKG_CJS, "sum.js": _CJS, "test/ok.js":
        "const t = require('tap');\nconst { sum } = require('../sum');\n"
        "t.ok(sum(2, 2) > 4, 'sum is big');\n"}),
    ("two failures", {"package.json": _PKG_CJS, "sum.js": _CJS, "test/two.js":
        "const t = require('tap');\nconst { sum } = require('../sum');\n\n"
        "t.test('big', async t => { t.ok(sum(2, 2) > 4, 'sum is big'); });\n"
        "t.test('string', async t => { t.equal(sum('1', 1), 2); });\n"}),
    link_node=True,
    commands=("npx tap", "npx tap --reporter=tap", "npx tap", "npx tap --reporter=terse",
              "npx tap"),
)  # fmt: skip

# --- go test -----------------------------------------------------------------------------------
_GOMOD = "module example.com/calc\n\ngo 1.19\n"
_GOCALC = (
    'package calc\n\nimport "errors"\n\nfunc Add(a, b int) int { return a + b }\n\n'
    "func Div(a, b int) (int, error) {\n\tif b == 0 {\n"
    '\t\treturn 0, errors.New("division by zero")\n\t}\n\treturn a / b, nil\n}\n'
)
add(
    "go-test", "go test ./...", "test_failure",
    ("t.Errorf", {"go.mod": _GOMOD, "calc.go": _GOCALC, "calc_test.go":
        "package calc\n\nimport \"testing\"\n\nfunc TestAdd(t *testing.T) {\n"
        "\tif got := Add(2, 2); got != 5 {\n\t\tt.Errorf(\"Add(2, 2) = %d; want 5\", got)\n\t}\n}\n"}),
    ("t.Fatalf on error", {"go.mod": _GOMOD, "calc.go": _GOCALC, "div_test.go":
        "package calc\n\nimport \"testing\"\n\nfunc TestDiv(t *testing.T) {\n"
        "\tgot, err := Div(1, 0)\n\tif err != nil {\n\t\tt.Fatalf(\"Div: %v\", err)\n\t}\n"
        "\t_ = got\n}\n"}),
    ("panic", {"go.mod": _GOMOD, "calc.go": _GOCALC, "panic_test.go":
        "package calc\n\nimport \"testing\"\n\nfunc TestIndex(t *testing.T) {\n"
        "\tvalues := []int{1, 2}\n\tfor i := 0; i <= len(values); i++ {\n"
        "\t\t_ = Add(values[i], 1)\n\t}\n}\n"}),
    ("table subtests", {"go.mod": _GOMOD, "calc.go": _GOCALC, "table_test.go":
        "package calc\n\nimport \"testing\"\n\nfunc TestAddTable(t *testing.T) {\n"
        "\tcases := []struct{ name string; a, b, want int }{\n\t\t{\"small\", 1, 1, 2},\n"
        "\t\t{\"negative\", -1, -1, 0},\n\t\t{\"big\", 100, 1, 102},\n\t}\n"
        "\tfor _, c := range cases {\n\t\tt.Run(c.name, func(t *testing.T) {\n"
        "\t\t\tif got := Add(c.a, c.b); got != c.want {\n"
        "\t\t\t\tt.Errorf(\"got %d, want %d\", got, c.want)\n\t\t\t}\n\t\t})\n\t}\n}\n"}),
    ("two packages", {"go.mod": _GOMOD, "calc.go": _GOCALC, "calc_test.go":
        "package calc\n\nimport \"testing\"\n\nfunc TestAdd(t *testing.T) {\n"
        "\tif Add(1, 1) != 2 {\n\t\tt.Fatal(\"broken\")\n\t}\n}\n",
        "strs/strs.go": "package strs\n\nimport \"strings\"\n\n"
        "func Title(s string) string { return strings.ToUpper(s) }\n",
        "strs/strs_test.go": "package strs\n\nimport \"testing\"\n\nfunc TestTitle(t *testing.T) {\n"
        "\tif got := Title(\"go\"); got != \"Go\" {\n\t\tt.Errorf(\"Title(%q) = %q, want %q\", "
        "\"go\", got, \"Go\")\n\t}\n}\n"}),
    commands=("go test ./...", "go test -v ./...", "go test ./...", "go test -v -race=false ./...",
              "go test -count=1 ./..."),
)  # fmt: skip

# --- cargo test --------------------------------------------------------------------------------
_CARGO = '[package]\nname = "calc"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\n'
_LIB = (
    "pub fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n\n"
    "pub fn parse(s: &str) -> Result<i32, std::num::ParseIntError> {\n    s.trim().parse()\n}\n"
)
add(
    "cargo-test", "cargo test", "test_failure",
    ("assert_eq", {"Cargo.toml": _CARGO, "src/lib.rs": _LIB + "\n#[cfg(test)]\nmod tests {\n"
        "    use super::*;\n\n    #[test]\n    fn adds() {\n        assert_eq!(add(2, 2), 5);\n"
        "    }\n\n    #[test]\n    fn zero() {\n        assert_eq!(add(0, 0), 0);\n    }\n}\n"}),
    ("unwrap on Err", {"Cargo.toml": _CARGO, "src/lib.rs": _LIB + "\n#[cfg(test)]\nmod tests {\n"
        "    use super::*;\n\n    #[test]\n    fn parses() {\n"
        "        assert_eq!(parse(\"4x\").unwrap(), 4);\n    }\n}\n"}),
    ("should_panic without panic", {"Cargo.toml": _CARGO, "src/lib.rs": _LIB +
        "\n#[cfg(test)]\nmod tests {\n    use super::*;\n\n    #[test]\n    #[should_panic]\n"
        "    fn overflow() {\n        add(1, 2);\n    }\n}\n"}),
    ("integration test", {"Cargo.toml": _CARGO, "src/lib.rs": _LIB, "tests/api.rs":
        "use calc::add;\n\n#[test]\nfn big() {\n    assert!(add(2, 2) > 4, \"sum too small: {}\","
        " add(2, 2));\n}\n"}),
    ("two failures", {"Cargo.toml": _CARGO, "src/lib.rs": _LIB + "\n#[cfg(test)]\nmod tests {\n"
        "    use super::*;\n\n    #[test]\n    fn adds() {\n        assert_ne!(add(1, 1), 2);\n"
        "    }\n\n    #[test]\n    fn parses() {\n        assert!(parse(\"\").is_ok());\n    }\n}\n"}),
    commands=("cargo test", "cargo test --all", "cargo test", "cargo test --workspace",
              "cargo test -- --test-threads=1"),
)  # fmt: skip

# --- rspec -------------------------------------------------------------------------------------
_RB = "class Calc\n  def add(a, b)\n    a + b\n  end\n\n  def div(a, b)\n    a / b\n  end\nend\n"
add(
    "rspec", "rspec", "test_failure",
    ("eq", {"lib/calc.rb": _RB, "spec/calc_spec.rb": "require_relative '../lib/calc'\n\n"
        "RSpec.describe Calc do\n  it 'adds' do\n    expect(Calc.new.add(2, 2)).to eq(5)\n  end\n"
        "\n  it 'adds zero' do\n    expect(Calc.new.add(0, 1)).to eq(1)\n  end\nend\n"}),
    ("error raised", {"lib/calc.rb": _RB, "spec/div_spec.rb": "require_relative '../lib/calc'\n\n"
        "RSpec.describe Calc do\n  describe '#div' do\n    it 'divides' do\n"
        "      expect(Calc.new.div(1, 0)).to eq(0)\n    end\n  end\nend\n"}),
    ("include matcher", {"lib/calc.rb": _RB, "spec/list_spec.rb":
        "RSpec.describe 'list' do\n  it 'has the item' do\n"
        "    expect(%w[a b]).to include('c')\n  end\nend\n"}),
    ("before hook fails", {"lib/calc.rb": _RB, "spec/file_spec.rb":
        "RSpec.describe 'fixture' do\n  before { @data = File.read('spec/fixtures/data.yml') }\n\n"
        "  it 'has data' do\n    expect(@data).not_to be_empty\n  end\nend\n"}),
    ("two failures", {"lib/calc.rb": _RB, "spec/calc_spec.rb": "require_relative '../lib/calc'\n\n"
        "RSpec.describe Calc do\n  it 'is big' do\n    expect(Calc.new.add(2, 2)).to be > 4\n  end\n"
        "\n  it 'concatenates' do\n    expect(Calc.new.add('a', 'b')).to eq('ba')\n  end\nend\n"}),
    commands=("rspec", "rspec --format documentation", "rspec", "rspec --format progress",
              "rspec spec"),
)  # fmt: skip

# --- phpunit -----------------------------------------------------------------------------------
_PHP = (
    "<?php\nclass Calc\n{\n    public function add($a, $b) { return $a + $b; }\n"
    "    public function div($a, $b) { return intdiv($a, $b); }\n}\n"
)


def _php_test(name: str, body: str) -> str:
    return (
        "<?php\nuse PHPUnit\\Framework\\TestCase;\nrequire_once __DIR__ . '/../src/Calc.php';"
        f"\n\nfinal class {name} extends TestCase\n{{\n{body}}}\n"
    )


add(
    "phpunit", "phpunit tests", "test_failure",
    ("assertEquals", {"src/Calc.php": _PHP, "tests/CalcTest.php": _php_test("CalcTest",
        "    public function testAdd(): void\n    {\n        $this->assertEquals(5, "
        "(new Calc())->add(2, 2));\n    }\n")}),
    ("exception", {"src/Calc.php": _PHP, "tests/DivTest.php": _php_test("DivTest",
        "    public function testDiv(): void\n    {\n        $this->assertSame(0, "
        "(new Calc())->div(1, 0));\n    }\n")}),
    ("assertSame types", {"src/Calc.php": _PHP, "tests/TypeTest.php": _php_test("TypeTest",
        "    public function testString(): void\n    {\n        $this->assertSame('4', "
        "(new Calc())->add(2, 2));\n    }\n")}),
    ("data provider", {"src/Calc.php": _PHP, "tests/ProviderTest.php": _php_test("ProviderTest",
        "    public static function cases(): array\n    {\n        return [[1, 1, 2], [2, 2, 5]];"
        "\n    }\n\n    /** @dataProvider cases */\n    public function testAdd($a, $b, $want): void"
        "\n    {\n        $this->assertEquals($want, (new Calc())->add($a, $b));\n    }\n")}),
    ("two failures", {"src/Calc.php": _PHP, "tests/TwoTest.php": _php_test("TwoTest",
        "    public function testBig(): void\n    {\n        $this->assertTrue((new Calc())->add"
        "(2, 2) > 4);\n    }\n\n    public function testCount(): void\n    {\n"
        "        $this->assertCount(3, [1, 2]);\n    }\n")}),
    commands=("phpunit tests", "phpunit --testdox tests", "phpunit tests", "phpunit tests",
              "phpunit --colors=never tests"),
)  # fmt: skip

# --- linters -----------------------------------------------------------------------------------
_ESLINT_CONFIG = (
    "export default [\n  {\n    languageOptions: { globals: { console: 'readonly' } },\n"
    "    rules: {\n      'no-unused-vars': 'error', 'no-undef': 'error', eqeqeq: 'error',\n"
    "      'no-var': 'error', 'prefer-const': 'error', 'no-unreachable': 'error',\n"
    "      'no-fallthrough': 'error',\n    },\n  },\n];\n"
)
add(
    "eslint", "npx eslint .", "lint_error",
    ("unused variable", {"package.json": _PKG_ESM, "eslint.config.js": _ESLINT_CONFIG,
        "src/a.js": "export function a(x) {\n  const unused = 1;\n  return x;\n}\n"}),
    ("undefined name", {"package.json": _PKG_ESM, "eslint.config.js": _ESLINT_CONFIG,
        "src/b.js": "export function b() {\n  return fetchh('/api');\n}\n"}),
    ("eqeqeq and no-var", {"package.json": _PKG_ESM, "eslint.config.js": _ESLINT_CONFIG,
        "src/c.js": "export function c(x) {\n  var y = x;\n  if (y == null) {\n    return 0;\n"
        "  }\n  return y;\n}\n"}),
    ("several files", {"package.json": _PKG_ESM, "eslint.config.js": _ESLINT_CONFIG,
        "src/d.js": "export function d() {\n  let n = 1;\n  return n;\n}\n",
        "src/e.js": "import { d } from './d.js';\nexport const e = () => d() + undefinedThing;\n"}),
    ("unreachable code", {"package.json": _PKG_ESM, "eslint.config.js": _ESLINT_CONFIG,
        "src/f.js": "export function f(x) {\n  return x;\n  console.log('done');\n}\n"
        "export function g(a, a2) {\n  switch (a) {\n    case 1:\n      a2 = 1;\n    case 2:\n"
        "      return a2;\n    default:\n      return 0;\n  }\n}\n"}),
    link_node=True,
    commands=("npx eslint .", "npx eslint src", "npx eslint --max-warnings 0 .", "npx eslint .",
              "npx eslint src"),
)  # fmt: skip

add(
    "xo", "npx xo", "lint_error",
    ("no-var", {"package.json": _PKG_ESM, "index.js":
        "export function greet(name) {\n\tvar message = `Hi ${name}`;\n\treturn message;\n}\n"}),
    ("unused variable", {"package.json": _PKG_ESM, "index.js":
        "export function add(a, b) {\n\tconst unused = 1;\n\treturn a + b;\n}\n"}),
    ("spaces not tabs", {"package.json": _PKG_ESM, "index.js":
        "export function add(a, b) {\n    return a + b;\n}\n"}),
    ("several rules, two files", {"package.json": _PKG_ESM, "index.js":
        "import {helper} from './helper.js';\n\nexport const value = helper(1) == 2;\n",
        "helper.js": "export function helper(x) {\n\tlet y = x;\n\treturn y + 1\n}\n"}),
    ("prefer node protocol", {"package.json": _PKG_ESM, "index.js":
        "import fs from 'fs';\n\nexport function read(file) {\n\treturn fs.readFileSync(file, "
        "'utf8');\n}\n"}),
    link_node=True,
    commands=("npx xo", "npx xo", "npx xo index.js", "npx xo", "npx xo"),
)  # fmt: skip

add(
    "ruff", "ruff check .", "lint_error",
    ("unused import", {"pyproject.toml": "[project]\nname = 'app'\nversion = '1'\n",
        "app/__init__.py": "", "app/main.py": "import os\nimport sys\n\n\ndef main():\n"
        "    return sys.argv\n"}),
    ("comparison to None", {"pyproject.toml": "[tool.ruff.lint]\nselect = ['E', 'F']\n",
        "app.py": "def check(x):\n    if x == None:\n        return 1\n    return 0\n"}),
    ("unused variable, bugbear", {"pyproject.toml":
        "[tool.ruff.lint]\nextend-select = ['B']\n", "app.py":
        "def f(items=[]):\n    result = 1\n    for i in range(3):\n        pass\n    return items\n"}),
    ("format check", {"pyproject.toml": "[project]\nname = 'app'\nversion = '1'\n", "app.py":
        "def f( a,b ):\n    return {'a':a,'b':b}\n"}),
    ("undefined name", {"pyproject.toml": "[project]\nname = 'app'\nversion = '1'\n",
        "pkg/__init__.py": "", "pkg/mod.py": "def run():\n    return helper() + 1\n",
        "pkg/other.py": "import json\n"}),
    commands=("ruff check .", "ruff check --output-format=concise .", "ruff check .",
              "ruff format --check .", "ruff check --output-format=grouped ."),
)  # fmt: skip

add(
    "flake8", "flake8", "lint_error",
    ("unused import", {"app/__init__.py": "", "app/main.py": "import os\n\n\ndef main():\n"
        "    return 1\n"}),
    ("line too long", {"app.py": "def f():\n    return 'x' * 10  # " + "a" * 90 + "\n"}),
    ("undefined name and spacing", {"app.py": "def f(x):\n    return y+x\ndef g():\n"
        "    return 1\n"}),
    ("several files", {"a.py": "import sys\n", "b.py": "x=1\n", "c.py":
        "def f():\n    l = 1\n    return l \n"}),
    ("comparison and bare except", {"setup.cfg": "[flake8]\nmax-line-length = 100\n",
        "app.py": "def f(x):\n    try:\n        return x == None\n    except:\n        return 0\n"}),
    commands=("flake8", "flake8 .", "flake8 app.py", "flake8 --count .", "flake8"),
)  # fmt: skip

add(
    "mypy", "mypy .", "type_error",
    ("wrong return type", {"app.py": "def f(x: int) -> str:\n    return x\n"}),
    ("wrong argument", {"app.py": "def f(x: int) -> int:\n    return x\n\n\nf('1')\n"}),
    ("missing attribute", {"pkg/__init__.py": "", "pkg/user.py":
        "class User:\n    name: str = ''\n\n\ndef email(u: User) -> str:\n    return u.email\n"}),
    ("optional misuse, strict", {"app.py": "from typing import Optional\n\n\n"
        "def first(xs: list[str]) -> Optional[str]:\n    return xs[0] if xs else None\n\n\n"
        "def shout(xs: list[str]) -> str:\n    return first(xs).upper()\n\n\ndef g(y):\n"
        "    return y\n"}),
    ("several files", {"a.py": "x: int = 'a'\n", "b.py": "from a import x\n\n\n"
        "def f() -> list[int]:\n    return [x, 'b']\n"}),
    commands=("mypy app.py", "mypy .", "mypy pkg", "mypy --strict app.py", "mypy a.py b.py"),
)  # fmt: skip

_TSCONFIG = (
    '{"compilerOptions": {"strict": true, "noEmit": true, "target": "es2020",'
    ' "module": "commonjs"}, "include": ["src"]}\n'
)
add(
    "tsc", "npx tsc", "type_error",
    ("assignability", {"tsconfig.json": _TSCONFIG, "package.json": _PKG_CJS, "src/index.ts":
        "const count: number = 'three';\nexport { count };\n"}),
    ("missing property", {"tsconfig.json": _TSCONFIG, "package.json": _PKG_CJS, "src/user.ts":
        "interface User { name: string }\nexport function email(u: User): string {\n"
        "  return u.email;\n}\n"}),
    ("possibly undefined", {"tsconfig.json": _TSCONFIG, "package.json": _PKG_CJS, "src/a.ts":
        "export function first(xs: string[]): string {\n  const x = xs.find(s => s.length > 1);"
        "\n  return x.toUpperCase();\n}\n"}),
    ("wrong argument count", {"tsconfig.json": _TSCONFIG, "package.json": _PKG_CJS,
        "src/b.ts": "function add(a: number, b: number): number {\n  return a + b;\n}\n"
        "export const v = add(1);\n"}),
    ("several files", {"tsconfig.json": _TSCONFIG, "package.json": _PKG_CJS, "src/c.ts":
        "export const c: string = 1;\n", "src/d.ts": "import { c } from './c';\n"
        "export const d: number = c;\nexport const e = missing;\n"}),
    link_node=True,
    commands=("npx tsc", "npx tsc --noEmit", "npx tsc -p .", "npx tsc --pretty", "npx tsc"),
)  # fmt: skip

add(
    "shellcheck", "shellcheck *.sh", "lint_error",
    ("unquoted variable", {"deploy.sh": "#!/bin/bash\nfile=$1\nrm $file\n"}),
    ("cd without exit", {"build.sh": "#!/bin/sh\ncd build\nmake\n"}),
    ("useless cat and read", {"scripts/run.sh": "#!/bin/bash\ncat list.txt | while read line;"
        " do\n  echo $line\ndone\n"}),
    ("undefined variable and backticks", {"ci.sh": "#!/bin/bash\nset -e\nNOW=`date`\n"
        "echo \"$NOW $VERSOIN\"\n"}),
    ("several scripts", {"a.sh": "#!/bin/bash\nfor f in $(ls *.txt); do echo \"$f\"; done\n",
        "b.sh": "#!/bin/bash\n[ $1 = x ] && echo yes\n"}),
    commands=("shellcheck *.sh", "shellcheck build.sh", "shellcheck scripts/*.sh",
              "shellcheck -f gcc ci.sh", "shellcheck a.sh b.sh"),
)  # fmt: skip
