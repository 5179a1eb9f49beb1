<?php
/**
 * The unprivileged half of installing: the token secret and the rendered service unit, both in the
 * extension's var directory. The root half (copying the backend, systemd, the panel nginx include)
 * is sbin/passenger-panel-service, which post-install.php runs through pm_ApiCli::callSbin.
 */
class Modules_PassengerPanel_Installer
{
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
        // Only root can give the file away; the panel user then reads it to mint tokens, root's backend reads it anyway.
        if ($owner !== null && function_exists('posix_geteuid') && posix_geteuid() === 0 && posix_getpwnam($owner) !== false) {
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
