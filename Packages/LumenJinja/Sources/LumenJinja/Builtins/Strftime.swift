import Foundation

/// C `strftime` in the C locale, for `strftime_now(format)` (Llama 3.x templates print
/// "Today Date: 26 Jul 2024" with `"%d %b %Y"`). The date is injected so renders are
/// reproducible.
enum Strftime {
    private static let monthNames = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
        "November", "December",
    ]
    private static let weekdayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

    static func format(_ format: String, date: Date, timeZone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents(
            [.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let year = parts.year ?? 1970
        let month = parts.month ?? 1
        let day = parts.day ?? 1
        let hour = parts.hour ?? 0
        let minute = parts.minute ?? 0
        let second = parts.second ?? 0
        let weekday = (parts.weekday ?? 1) - 1
        let dayOfYear = calendar.ordinality(of: .day, in: .year, for: date) ?? 1
        let hour12 = hour % 12 == 0 ? 12 : hour % 12
        func twoDigits(_ value: Int) -> String {
            value < 10 ? "0\(value)" : String(value)
        }
        var output = ""
        var iterator = format.makeIterator()
        while let character = iterator.next() {
            guard character == "%" else {
                output.append(character)
                continue
            }
            guard var directive = iterator.next() else {
                output.append("%")
                break
            }
            // glibc's "%-d": the number without padding.
            var unpadded = false
            if directive == "-", let next = iterator.next() {
                unpadded = true
                directive = next
            }
            func padded(_ value: Int, _ width: Int = 2, _ pad: Character = "0") -> String {
                let digits = String(value)
                if unpadded { return digits }
                return String(repeating: pad, count: max(width - digits.count, 0)) + digits
            }
            switch directive {
            case "d": output += padded(day)
            case "e": output += padded(day, 2, " ")
            case "m": output += padded(month)
            case "y": output += padded(year % 100)
            case "Y": output += String(year)
            case "b", "h": output += String(monthNames[month - 1].prefix(3))
            case "B": output += monthNames[month - 1]
            case "a": output += String(weekdayNames[weekday].prefix(3))
            case "A": output += weekdayNames[weekday]
            case "w": output += String(weekday)
            case "u": output += String(weekday == 0 ? 7 : weekday)
            case "j": output += padded(dayOfYear, 3)
            case "H": output += padded(hour)
            case "I": output += padded(hour12)
            case "M": output += padded(minute)
            case "S": output += padded(second)
            case "p": output += hour < 12 ? "AM" : "PM"
            case "F": output += "\(year)-\(twoDigits(month))-\(twoDigits(day))"
            case "D": output += "\(twoDigits(month))/\(twoDigits(day))/\(twoDigits(year % 100))"
            case "T": output += "\(twoDigits(hour)):\(twoDigits(minute)):\(twoDigits(second))"
            case "R": output += "\(twoDigits(hour)):\(twoDigits(minute))"
            case "n": output += "\n"
            case "t": output += "\t"
            case "%": output += "%"
            default:
                output.append("%")
                output.append(directive)
            }
        }
        return output
    }
}
