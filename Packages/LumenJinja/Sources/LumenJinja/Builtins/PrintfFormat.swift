import Foundation

/// Python's `'%s' % value` formatting (also the `format` filter): the common conversions
/// `%s %r %d %i %f %x %%` with flags, width and precision.
enum PrintfFormat {
    static func format(_ format: String, _ argument: Value, limits: RenderLimits) throws(TemplateError) -> String {
        let arguments: [Value]
        var mapping: ValueDictionary?
        // Python skips the "not all arguments converted" check for an argument it takes for a
        // mapping: anything with __getitem__ but a tuple or a string (so lists too).
        var isMappingLike = false
        switch argument {
        case .tuple(let items): arguments = items
        case .dict(let dictionary):
            arguments = [argument]
            mapping = dictionary
            isMappingLike = true
        case .list, .undefined, .namespace:
            arguments = [argument]
            isMappingLike = true
        default: arguments = [argument]
        }
        var scalars = Array(format.unicodeScalars)[...]
        var output = ""
        var next = 0
        while let scalar = scalars.popFirst() {
            guard scalar == "%" else {
                output.unicodeScalars.append(scalar)
                continue
            }
            var key: String?
            if scalars.first == "(" {
                scalars.removeFirst()
                var name = String.UnicodeScalarView()
                while let character = scalars.popFirst(), character != ")" { name.append(character) }
                key = String(name)
            }
            var flags = Set<Unicode.Scalar>()
            while let flag = scalars.first, "-+ 0#".unicodeScalars.contains(flag) {
                flags.insert(flag)
                scalars.removeFirst()
            }
            var width = 0
            while let digit = scalars.first, let value = Int(String(digit)) {
                width = min(width * 10 + value, 10_000)
                scalars.removeFirst()
            }
            var precision: Int?
            if scalars.first == "." {
                scalars.removeFirst()
                var value = 0
                while let digit = scalars.first, let number = Int(String(digit)) {
                    value = min(value * 10 + number, 1_000)
                    scalars.removeFirst()
                }
                precision = value
            }
            guard let conversion = scalars.popFirst() else {
                throw .runtime("incomplete format")
            }
            if conversion == "%" {
                output += "%"
                continue
            }
            let value: Value
            if let key {
                guard let mapping, let found = mapping[key] else { throw .runtime("format requires a mapping key '\(key)'") }
                value = found
            } else {
                guard next < arguments.count else { throw .runtime("not enough arguments for format string") }
                value = arguments[next]
                next += 1
            }
            var text = try convert(value, conversion, precision: precision, flags: flags)
            let padding = width - text.unicodeScalars.count
            if padding > 0 {
                if flags.contains("-") {
                    text += String(repeating: " ", count: padding)
                } else if flags.contains("0") && "dif".unicodeScalars.contains(conversion) {
                    let negative = text.hasPrefix("-")
                    let digits = negative ? String(text.dropFirst()) : text
                    text = (negative ? "-" : "") + String(repeating: "0", count: padding) + digits
                } else {
                    text = String(repeating: " ", count: padding) + text
                }
            }
            output += text
            try limits.checkStringSize(output.utf8.count)
        }
        if !isMappingLike && next < arguments.count {
            throw .runtime("not all arguments converted during string formatting")
        }
        return output
    }

    private static func convert(_ value: Value, _ conversion: Unicode.Scalar, precision: Int?, flags: Set<Unicode.Scalar>)
        throws(TemplateError) -> String
    {
        switch conversion {
        case "s":
            let text = value.pythonString
            return precision.map { String(text.prefix($0)) } ?? text
        case "r":
            return value.pythonRepr
        case "d", "i":
            let number: Int
            if let integer = value.integerValue {
                number = integer
            } else if case .double(let double) = value, double.isFinite, abs(double) < 9e18 {
                number = Int(double)
            } else {
                throw .runtime("%\(conversion) format: a real number is required, not \(value.typeName)")
            }
            return (flags.contains("+") && number >= 0 ? "+" : "") + String(number)
        case "f", "F":
            guard let number = value.numberValue else {
                throw .runtime("%f format: a real number is required, not \(value.typeName)")
            }
            return (flags.contains("+") && number >= 0 ? "+" : "") + String(format: "%.\(precision ?? 6)f", number)
        case "x", "X":
            guard let number = value.integerValue else {
                throw .runtime("%x format: an integer is required, not \(value.typeName)")
            }
            let text = String(number, radix: 16, uppercase: conversion == "X")
            return text
        default:
            throw .runtime("unsupported format character '\(conversion)'")
        }
    }
}
