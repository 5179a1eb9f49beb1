<?php
/**
 * Root-side installation steps shared by post-install.php, pre-uninstall.php and sbin/.
 * Every command is an argument list quoted here, never a string built from input.
 */
class Modules_PassengerPanel_Installer
{
    /** Runs argv; throws with the output when it fails and $mayFail is false. */
    public static function run(array $argv, $mayFail = false)
    {
        $command = implode(' ', array_map('escapeshellarg', $argv)) . ' 2>&1';
        $output = [];
        $code = 0;
        exec($command, $output, $code);
        if ($code !== 0 && !$mayFail) {
            throw new RuntimeException(sprintf("`%s` failed (%d):\n%s", implode(' ', $argv), $code, implode("\n", $output)));
        }
        return $code;
    }

    /** Creates the HMAC secret once (0600, owned by the panel user); an existing valid secret is kept across upgrades. */
    public static function ensureSecret($path, $owner)
    {
        $existing = @file_get_contents($path);
        if ($existing !== false && preg_match('/^[0-9a-f]{64}$/', trim($existing))) {
            chmod($path, 0600);
            return false;
        }
        $dir = dirname($path);
        if (!is_dir($dir) && !mkdir($dir, 0700, true)) {
            throw new RuntimeException("Cannot create $dir for the token secret.");
        }
        $tmp = $path . '.tmp-' . bin2hex(random_bytes(4));
        $old = umask(0077);
        try {
            if (file_put_contents($tmp, bin2hex(random_bytes(32)) . "\n", LOCK_EX) === false) {
                throw new RuntimeException("Cannot write the token secret $tmp.");
            }
        } finally {
            umask($old);
        }
        chmod($tmp, 0600);
        if ($owner !== null && function_exists('posix_getpwnam') && posix_getpwnam($owner) !== false) {
            chown($tmp, $owner);
        }
        if (!rename($tmp, $path)) {
            @unlink($tmp);
            throw new RuntimeException("Cannot move the token secret into $path.");
        }
        return true;
    }

    /** Newest Plesk-shipped Node.js (>= 20), else whatever `node` is on PATH. */
    public static function findNode()
    {
        $best = null;
        $bestMajor = 0;
        foreach (glob('/opt/plesk/node/*/bin/node') ?: [] as $candidate) {
            $major = (int)basename(dirname(dirname($candidate)));
            if ($major >= 20 && $major > $bestMajor && is_executable($candidate)) {
                $best = $candidate;
                $bestMajor = $major;
            }
        }
        if ($best !== null) {
            return $best;
        }
        $onPath = trim((string)shell_exec('command -v node 2>/dev/null'));
        if ($onPath === '') {
            throw new RuntimeException('No Node.js >= 20 found: install it from Plesk > Extensions > Node.js, then reinstall Passenger Panel.');
        }
        return $onPath;
    }

    public static function copyTree($from, $to)
    {
        if (!is_dir($from)) {
            throw new RuntimeException("The backend bundle $from is missing from the extension package.");
        }
        self::run(['mkdir', '-p', $to]);
        self::run(['cp', '-a', rtrim($from, '/') . '/.', $to]);
    }

    public static function renderUnit($template, array $values)
    {
        $out = strtr($template, $values);
        if (preg_match('/@[A-Z_]+@/', $out, $m)) {
            throw new RuntimeException("The service unit template still holds {$m[0]}.");
        }
        return $out;
    }

    public static function writeFile($path, $content, $mode)
    {
        $tmp = $path . '.tmp-' . bin2hex(random_bytes(4));
        if (file_put_contents($tmp, $content) === false || !chmod($tmp, $mode) || !rename($tmp, $path)) {
            @unlink($tmp);
            throw new RuntimeException("Cannot write $path.");
        }
    }
}
