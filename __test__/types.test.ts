// TypeScript written against kafkajs compiles unchanged against ferrokafka: __test__/types/
// kafkajs-app.ts is compiled as it is (against kafkajs's own types, as a control) and with its
// import switched to 'ferrokafka', with the project's compiler options.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import ts from 'typescript'

const root = path.resolve(__dirname, '..')
const app = path.join(__dirname, 'types', 'kafkajs-app.ts')

/** The compiler's complaints about `source`, compiled as if it were `app`. */
function diagnostics(source: string): string[] {
  const configFile = ts.readConfigFile(path.join(root, 'tsconfig.json'), ts.sys.readFile)
  const { options } = ts.parseJsonConfigFileContent(configFile.config, ts.sys, root)
  const host = ts.createCompilerHost(options)
  const getSourceFile = host.getSourceFile.bind(host)
  host.getSourceFile = (fileName, language, ...rest) =>
    path.resolve(fileName) === app ? ts.createSourceFile(fileName, source, language) : getSourceFile(fileName, language, ...rest)
  const program = ts.createProgram([app], options, host)
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))
}

describe('a TypeScript program written for kafkajs', () => {
  const original = readFileSync(app, 'utf8')

  it('compiles against kafkajs itself', () => {
    expect(original).toContain("from 'kafkajs'")
    expect(diagnostics(original)).toEqual([])
  })

  it('compiles unchanged against ferrokafka', () => {
    expect(diagnostics(original.replace("from 'kafkajs'", "from 'ferrokafka'"))).toEqual([])
  })
})
