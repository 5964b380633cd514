import BitBarrierData
import Foundation
import Testing

/// VNN-LIB parsing on small hand-written properties.
@Suite struct VNNLibTests {
    static let header = "(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(declare-const Y_1 Real)\n"

    @Test func multiBoxFixtureGroupsIdenticalBoxes() throws {
        let s = try VNNLibSpec.load(path: DataPaths.fixture("multibox.vnnlib"))
        #expect(s.inputCount == 2 && s.outputCount == 2 && s.cases.count == 2)
        let a = s.cases[0], b = s.cases[1]
        #expect(a.lower == [0, -1e-05] && a.upper == [1, 0.25])
        #expect(b.lower == [1, -1e-05] && b.upper == [2, 0.25])
        // Disjuncts 1 and 3 share the box [0, 1] x [-1e-5, 0.25].
        #expect(a.outputDisjuncts == [
            [OutputConstraint(coefficients: [-1, 1], constant: 0)],         // Y_0 >= Y_1
            [OutputConstraint(coefficients: [0, 1], constant: 3, strict: true)],  // -Y_1 > 3
        ])
        // Y_0 - 2 Y_1 < -0.5  <=>  Y_0 - 2 Y_1 + 0.5 < 0
        #expect(b.outputDisjuncts == [[OutputConstraint(coefficients: [1, -2], constant: 0.5, strict: true)]])
        #expect(s.isUnsafe(output: [2, 1], caseIndex: 0) && s.isUnsafe(output: [0, -4], caseIndex: 0))
        #expect(!s.isUnsafe(output: [0, 1], caseIndex: 0))
        #expect(s.isUnsafe(output: [0, 1], caseIndex: 1) && !s.isUnsafe(output: [1.5, 1], caseIndex: 1))
        #expect(a.contains(input: [0.5, 0]) && !a.contains(input: [1.5, 0]))
    }

    @Test func linearTermsAndNumberForms() throws {
        let text = Self.header + """
        (assert (>= (- X_0) -2.5e+0))      ; X_0 <= 2.5
        (assert (<= (+ 1 (- 3)) X_0))      ; X_0 >= -2
        (assert (<= (* 2 (- Y_0 Y_1)) (+ Y_1 (* 0.5 4) (- 1 1))))
        """
        let s = try VNNLibSpec.parse(text, file: "terms.vnnlib")
        #expect(s.cases.count == 1 && s.cases[0].lower == [-2] && s.cases[0].upper == [2.5])
        // 2 Y_0 - 2 Y_1 - Y_1 - 2 <= 0
        #expect(s.cases[0].outputDisjuncts == [[OutputConstraint(coefficients: [2, -3], constant: -2)]])
    }

    @Test func inexactBoundsAreWidenedOutward() throws {
        let s = try VNNLibSpec.parse(Self.header + "(assert (<= (* 3 X_0) 1))\n(assert (>= (* 3 X_0) -1))\n(assert (<= Y_0 Y_1))\n", file: "t")
        #expect(s.cases[0].upper[0] > 1.0 / 3 && s.cases[0].upper[0] < 1.0 / 3 + 1e-15)
        #expect(s.cases[0].lower[0] < -1.0 / 3 && s.cases[0].lower[0] > -1.0 / 3 - 1e-15)
    }

    @Test func oldStyleNamesUseDeclarationOrderAndNumberedNamesTheirIndex() throws {
        let old = """
        (declare-const X_0_0_1 Real)
        (declare-const X_0_0_0 Real)
        (declare-const Y_0 Real)
        (assert (<= X_0_0_1 1))
        (assert (>= X_0_0_1 0))
        (assert (<= X_0_0_0 5))
        (assert (>= X_0_0_0 4))
        (assert (<= Y_0 0))
        """
        let a = try VNNLibSpec.parse(old, file: "old.vnnlib")
        #expect(a.cases[0].lower == [0, 4] && a.cases[0].upper == [1, 5])
        let numbered = old.replacingOccurrences(of: "X_0_0_1", with: "X_1").replacingOccurrences(of: "X_0_0_0", with: "X_0")
        let b = try VNNLibSpec.parse(numbered, file: "new.vnnlib")
        #expect(b.cases[0].lower == [4, 0] && b.cases[0].upper == [5, 1])
    }

    @Test func emptyBoxesAndFalseAtomsDropDisjuncts() throws {
        let text = Self.header + "(assert (or (and (>= X_0 2) (<= X_0 1) (<= Y_0 0)) (and (>= X_0 0) (<= X_0 1) (<= 1 0)) (and (>= X_0 0) (<= X_0 1) (<= Y_1 0))))\n"
        let s = try VNNLibSpec.parse(text, file: "t")
        #expect(s.cases.count == 1 && s.cases[0].outputDisjuncts == [[OutputConstraint(coefficients: [0, 1], constant: 0)]])
    }

    @Test func crlfCommentsAndTightParentheses() throws {
        let text = "; c\r\n(declare-const X_0 Real)(declare-const Y_0 Real)\r\n(assert (and(<= X_0 1)(>= X_0 0)))\r\n(assert (<= Y_0 1)) ; tail\r\n(assert (>= Y_0 bad))\r\n"
        let e = expectDataError { _ = try VNNLibSpec.parse(text, file: "crlf.vnnlib") }
        #expect(e?.line == 5 && e?.message == "undeclared variable 'bad'")
    }

    @Test(arguments: [
        (header + "(assert (<= X_1 1))\n", 4, "undeclared variable 'X_1'"),
        (header + "(assert (<= X_0 1)\n(assert (>= X_0 0))\n", 4, "unbalanced '('"),
        (header + "(assert (<= X_0 1)))\n", 4, "unbalanced ')'"),
        (header + "()\n", 4, "expected a command"),
        (header + "(assert ())\n", 4, "expected a formula"),
        (header + "(assert (<= (* X_0 Y_0) 1))\n", 4, "non-linear"),
        (header + "(assert (<= (* X_0 X_0) 1))\n", 4, "non-linear"),
        (header + "(assert (<= X_0 Y_0))\n", 4, "mixing inputs X and outputs Y"),
        ("(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n(assert (<= X_0 X_1))\n", 4, "several inputs"),
        (header + "(assert (<= X_0 1e999))\n", 4, "not a finite number"),
        (header + "(assert (not (<= X_0 1)))\n", 4, "unsupported formula 'not'"),
        (header + "(assert (<= (exp X_0) 1))\n", 4, "unsupported term operator 'exp'"),
        (header + "(declare-fun f () Real)\n", 4, "unsupported command"),
        (header + "(declare-const X_0 Real)\n", 4, "declared twice"),
        (header + "(declare-const Z_0 Real)\n", 4, "neither an input"),
        (header + "(declare-const X_1 Int)\n", 4, "only Real"),
        ("(declare-const X_1 Real)\n(declare-const Y_0 Real)\n", 1, "numbered 0...0"),
    ])
    func badSpec(text: String, line: Int, expected: String) {
        let e = expectDataError { _ = try VNNLibSpec.parse(text, file: "bad.vnnlib") }
        #expect(e?.line == line, "\(String(describing: e))")
        #expect(e?.description.hasPrefix("bad.vnnlib:\(line):") == true, "\(String(describing: e))")
        #expect(e?.message.contains(expected) == true, "\(String(describing: e))")
    }

    @Test func missingBoundsAndDeclarations() {
        let lower = expectDataError { _ = try VNNLibSpec.parse(Self.header + "(assert (<= X_0 1))\n(assert (>= Y_0 0))\n", file: "open.vnnlib") }
        #expect(lower?.description == "open.vnnlib: X_0 has no lower bound")
        let upper = expectDataError {
            _ = try VNNLibSpec.parse(Self.header + "(assert (or (and (<= X_0 1) (>= X_0 0)) (and (>= X_0 0) (<= Y_0 0))))\n", file: "t")
        }
        #expect(upper?.message == "X_0 has no upper bound in disjunct 2 of 2")
        #expect(expectDataError { _ = try VNNLibSpec.parse("", file: "empty.vnnlib") }?.message.contains("no input") == true)
        #expect(expectDataError { _ = try VNNLibSpec.parse("(declare-const X_0 Real)", file: "t") }?.message.contains("no output") == true)
        #expect(expectDataError { _ = try VNNLibSpec.load(path: "/nonexistent.vnnlib") }?.file == "/nonexistent.vnnlib")
    }

    @Test func blowUpIsAnErrorNotAHang() {
        let or = "(assert (or (<= Y_0 0) (<= Y_0 1) (<= Y_0 2) (<= Y_0 3) (<= Y_0 4) (<= Y_0 5) (<= Y_0 6) (<= Y_0 7) (<= Y_0 8) (<= Y_0 9)))\n"
        let text = Self.header + "(assert (<= X_0 1))\n(assert (>= X_0 0))\n" + String(repeating: or, count: 6)
        #expect(expectDataError { _ = try VNNLibSpec.parse(text, file: "t") }?.message.contains("disjuncts") == true)
    }
}
